//! The device registry sheet (物联设备, issue 16 item 3: the device registry — device id, kind,
//! entity, location, thresholds, owner department). One row per device, upserted by its device
//! id (设备编号); every row is checked by the registry's own check (`iot::devices::check`: the
//! entity in the directory and the uploader's scope, the owner department covering the entity's
//! region and of the uploader's line) and every problem named by row, column and value. Nothing
//! is saved while any row is wrong unless the caller skips invalid rows; the valid rows are
//! written in one transaction, each with its `device.create` / `device.update` audit entry,
//! and reach the ingest's device cache after the commit. The export writes the same layout, so
//! export → edit → import round-trips (an unchanged row is unchanged).

use std::collections::HashMap;

use lianjian_domain::iot::{self as rules, DeviceKind, DeviceStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::iot as repo;

use super::{
    Column, DepartmentNames, ImportOutcome, Progress, RowCheck, SheetSpec, all_pages, col,
    one_sheet_workbook, open, pick, read_table, repeated_keys, too_many,
};
use crate::iot::devices::{self as registry, DeviceFilter, DeviceInput, may_manage_devices};
use crate::{Result, ServiceError, Services};

const SHEET: &str = "物联设备";

const C_ID: usize = 0;
const C_KIND: usize = 1;
const C_USCI: usize = 2;
const C_DEPT: usize = 3;
const C_REGION: usize = 4;
const C_LOCATION: usize = 5;
const C_THRESHOLDS: usize = 6;
const C_SILENCE: usize = 7;
const C_STATUS: usize = 8;

fn kinds() -> Vec<&'static str> {
    DeviceKind::ALL.iter().map(|k| k.label_zh()).collect()
}
fn statuses() -> Vec<&'static str> {
    DeviceStatus::ALL.iter().map(|k| k.label_zh()).collect()
}

static COLUMNS: [Column; 9] = [
    col(
        "设备编号",
        true,
        24.0,
        "厂商或平台的设备编号，也是设备上报主题中的设备段；每台设备唯一。系统中已有该编号的设备按本行更新，内容相同的不作改动。",
    ),
    pick(
        "设备类型",
        true,
        16.0,
        "冷链温度计、明厨亮灶摄像头、燃气报警器、烟感报警器、水质监测仪或其他设备。",
        kinds,
    ),
    col(
        "统一社会信用代码",
        true,
        22.0,
        "设备所在市场主体的 18 位统一社会信用代码，须已在监管对象名录中、在您的管理范围内。",
    ),
    col(
        "负责部门",
        true,
        20.0,
        "负责该设备的部门名称，如 县市场监管局；须管辖该主体所在地区，部门管理员只能填本条线的部门。",
    ),
    col(
        "部门行政区划代码",
        false,
        14.0,
        "负责部门所在的行政区划代码；同名部门不止一个时填写。",
    ),
    col(
        "安装位置",
        true,
        30.0,
        "设备安装的位置，1–200 个字符，如 冷库一号库门内侧。",
    ),
    col(
        "阈值",
        false,
        24.0,
        "各监测指标的阈值，格式 指标=数值，多个用分号分隔，如 temperature=8; humidity=90；留空为不设阈值。",
    ),
    col(
        "静默分钟数",
        false,
        12.0,
        "设备超过多少分钟未上报视为离线，1–43200；新设备留空为 60，已有设备留空为不变。",
    ),
    pick(
        "状态",
        false,
        10.0,
        "在用或已停用；新设备留空为在用，已有设备留空为不变。",
        statuses,
    ),
];

static SPEC: SheetSpec = SheetSpec {
    name: SHEET,
    columns: &COLUMNS,
};

const NOTES: &[&str] = &[
    "1. 在“物联设备”工作表中填写，一行一台设备，第 1 行是表头：表头文字须与模板一致（可调整列的顺序，可删去非必填列）；带 * 的列必填。",
    "2. 按“设备编号”更新：系统中已有的设备按本行内容更新，内容相同的不作改动，同一文件重复导入不会产生变化。其他地区或部门已登记的设备编号不能导入。",
    "3. 设备按编号接收上报数据（主题和报文格式见物联接入说明）；阈值和静默分钟数用于预警规则判断超标和离线。",
];

/// The column holding each field of [`DeviceInput`].
fn column_of(field: &str) -> Option<usize> {
    Some(match field {
        "external_id" => C_ID,
        "kind" => C_KIND,
        "entity_id" | "entity_usci" => C_USCI,
        "department_id" => C_DEPT,
        "location" => C_LOCATION,
        "thresholds" => C_THRESHOLDS,
        "silence_minutes" => C_SILENCE,
        "status" => C_STATUS,
        _ => return None,
    })
}

fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    one_sheet_workbook(&SPEC, "物联设备导入模板 · 填写说明", NOTES, rows)
        .expect("the sheet is well-formed")
}

/// The import template.
pub fn template() -> Vec<u8> {
    workbook(&[])
}

/// A filled sheet (tests): rows in the template's column order.
pub fn sheet_of(rows: &[Vec<String>]) -> Vec<u8> {
    workbook(rows)
}

/// Imports the device sheet (see the module's doc).
pub async fn import(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    if !may_manage_devices(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let t = read_table(&mut open(bytes)?, &SPEC)?;
    let c = svc.store.conn();
    let repeated = repeated_keys(
        &t,
        C_ID,
        |cells| rules::external_id(&cells[C_ID]).ok(),
        |n| {
            lianjian_domain::Invalid::new(
                "duplicate_device",
                format!("设备编号与第 {n} 行重复"),
                format!("the device id repeats row {n}"),
            )
        },
    );
    let full = actor.full_scope();
    let mine = Scope::ignoring_context(actor);
    let mut named = DepartmentNames::default();
    let mut check = RowCheck::new(&t, repeated, progress);
    let mut to_save = Vec::new();
    for (ri, row) in t.rows.iter().enumerate() {
        check.begin();
        let cell = |k: usize| row.cells[k].trim().to_string();
        // The owner department by name, near the row's region or within the actor's scope.
        let mut department_id = None;
        let mut department_reported = false;
        let region = match RegionCode::parse(&cell(C_REGION)) {
            Ok(r) => Some(r),
            Err(e) if !cell(C_REGION).is_empty() => {
                check.cell(ri, C_REGION, e);
                department_reported = true;
                None
            }
            Err(_) => None,
        };
        if !department_reported && !cell(C_DEPT).is_empty() {
            match named
                .resolve(c, &cell(C_DEPT), region.as_ref(), full.region.as_ref())
                .await?
            {
                Ok(d) => department_id = Some(d),
                Err(e) => {
                    check.cell(ri, C_DEPT, e);
                    department_reported = true;
                }
            }
        }
        // The same id already registered: within the actor's scope it is updated; elsewhere
        // it is someone else's device.
        let mut before = None;
        if let Ok(id) = rules::external_id(&cell(C_ID))
            && let Some(d) = repo::find_device(c, &Scope::system(), &id).await?
        {
            if repo::find_device(c, &mine, &id).await?.is_some() {
                before = Some(d);
            } else {
                check.cell(
                    ri,
                    C_ID,
                    lianjian_domain::Invalid::new(
                        "registered_elsewhere",
                        format!("设备编号“{id}”已由其他地区或部门登记"),
                        format!("device {id} is registered by another region or department"),
                    ),
                );
            }
        }
        let silence = cell(C_SILENCE);
        let silence_minutes = match silence.parse::<i64>() {
            _ if silence.is_empty() => None,
            Ok(n) => Some(n),
            Err(_) => {
                check.cell(
                    ri,
                    C_SILENCE,
                    lianjian_domain::Invalid::new(
                        "bad_silence",
                        format!("静默分钟数“{silence}”须为整数"),
                        format!("silence minutes '{silence}' must be a whole number"),
                    ),
                );
                // Checked below with a value the rule accepts, so that the row's other
                // fields are still named.
                Some(60)
            }
        };
        let input = DeviceInput {
            external_id: cell(C_ID),
            kind: cell(C_KIND),
            entity_id: None,
            entity_usci: Some(cell(C_USCI)),
            department_id,
            location: cell(C_LOCATION),
            thresholds: Some(serde_json::Value::String(cell(C_THRESHOLDS))),
            silence_minutes,
            status: Some(cell(C_STATUS)),
        };
        match registry::check(svc, actor, &input, before).await {
            Ok(ch) if check.clean(ri) => match &ch.before {
                Some(b) if same(b, &ch.device) => check.unchanged += 1,
                _ => to_save.push(ch),
            },
            Ok(_) => {}
            Err(ServiceError::Invalid(fields)) => {
                let skip: &[&str] = if department_reported {
                    &["department_id"]
                } else {
                    &[]
                };
                check.fields(ri, fields, column_of, skip);
            }
            Err(e) => return Err(e),
        }
        check.end(ri);
    }
    check
        .checked(skip_invalid)
        .finish(to_save, progress, |rows| {
            registry::save_many(svc, actor, rows)
        })
        .await
}

/// Whether an import row changes nothing of a stored device.
fn same(a: &repo::Device, b: &repo::Device) -> bool {
    a.external_id == b.external_id
        && a.kind == b.kind
        && a.entity_id == b.entity_id
        && a.department_id == b.department_id
        && a.location == b.location
        && a.thresholds == b.thresholds
        && a.silence_minutes == b.silence_minutes
        && a.status == b.status
}

/// The devices a list shows (its filters, the actor's scope) in the import layout, so that
/// export → edit → import round-trips.
pub async fn export(svc: &Services, actor: &Actor, f: &DeviceFilter) -> Result<Vec<u8>> {
    let c = svc.store.conn();
    let devices = all_pages(|page| registry::list(svc, actor, f, page)).await?;
    too_many(SHEET, devices.len())?;
    let mut regions: HashMap<uuid::Uuid, String> = HashMap::new();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(devices.len());
    for d in &devices {
        if !regions.contains_key(&d.department_id) {
            let r = lianjian_store::departments::get(c, d.department_id)
                .await?
                .map(|x| x.region_code.to_string())
                .unwrap_or_default();
            regions.insert(d.department_id, r);
        }
        let mut row = vec![String::new(); COLUMNS.len()];
        row[C_ID] = d.external_id.clone();
        row[C_KIND] = d.kind_label.clone();
        row[C_USCI] = d.entity_usci.clone();
        row[C_DEPT] = d.department_name.clone();
        row[C_REGION] = regions[&d.department_id].clone();
        row[C_LOCATION] = d.location.clone();
        row[C_THRESHOLDS] = d.thresholds_text.clone();
        row[C_SILENCE] = d.silence_minutes.to_string();
        row[C_STATUS] = d.status_label.clone();
        rows.push(row);
    }
    Ok(workbook(&rows))
}
