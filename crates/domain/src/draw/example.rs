//! The worked example of `docs/draw-algorithm.md`: a county draw of two plans over twelve
//! entities and nine inspectors, with fixed seeds. Tests pin its numbers, the document quotes
//! them, and other crates' tests use it as a ready-made valid record.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::record::{
    BeaconSpec, Candidate, Contribution, ContributionValue, DepartmentRef, DrawInput,
    DrawInspector, DrawPlan, DrawRecord, Exclusion, InspectorKind, PerClass, Seeds, SeedsV3,
    V3Terms, Witness,
};
use super::{Bytes32, commit, commit_v3, draw, draw_committed};
use crate::account::CertificateNumber;
use crate::directory::CreditClass;
use crate::region::RegionCode;
use crate::usci::Usci;

pub const MARKET: Uuid = Uuid::from_u128(0x11111111_1111_4111_8111_111111111111);
pub const HEALTH: Uuid = Uuid::from_u128(0x22222222_2222_4222_8222_222222222222);
pub const EMERGENCY: Uuid = Uuid::from_u128(0x33333333_3333_4333_8333_333333333333);

/// A valid credit code of 舞阳县 (411121) with serial number `n`.
pub fn usci(n: u32) -> Usci {
    let first17 = format!("91411121MA{n:06}B");
    let check = Usci::check_char(&first17).expect("17 characters of the set");
    Usci::parse(&format!("{first17}{check}")).expect("valid code")
}

fn cert(s: &str) -> CertificateNumber {
    CertificateNumber::parse(s).expect("valid certificate number")
}

fn dept(id: Uuid) -> DepartmentRef {
    let name = match id {
        MARKET => "舞阳县市场监督管理局",
        HEALTH => "舞阳县卫生健康委员会",
        _ => "舞阳县应急管理局",
    };
    DepartmentRef {
        id,
        name: name.into(),
    }
}

fn ratios(a: u16, b: u16, c: u16, d: u16, ungraded: u16) -> PerClass<u16> {
    PerClass {
        a,
        b,
        c,
        d,
        ungraded,
    }
}

/// The example input, normalised.
pub fn input() -> DrawInput {
    let plans = vec![
        DrawPlan {
            id: Uuid::from_u128(0x44444444_4444_4444_8444_000000000001),
            code: "WY-2026-01".into(),
            item_code: "WY-01".into(),
            item_name: "食品生产企业综合监管".into(),
            key_item: false,
            lead_department: dept(MARKET),
            involved_departments: vec![dept(MARKET), dept(HEALTH)],
            check_points: 12,
            ratios: ratios(30, 100, 300, 700, 100),
            inspectors_per_visit: 2,
            experts_per_visit: 0,
            qualifications: vec!["食品安全".into()],
            risk_weighted: false,
            control_permille: 0,
        },
        DrawPlan {
            id: Uuid::from_u128(0x44444444_4444_4444_8444_000000000008),
            code: "WY-2026-08".into(),
            item_code: "WY-08".into(),
            item_name: "特种设备综合监管".into(),
            key_item: true,
            lead_department: dept(MARKET),
            involved_departments: vec![dept(MARKET), dept(EMERGENCY)],
            check_points: 8,
            ratios: ratios(50, 200, 500, 1000, 200),
            inspectors_per_visit: 3,
            experts_per_visit: 0,
            qualifications: vec!["特种设备".into()],
            risk_weighted: false,
            control_permille: 0,
        },
    ];
    use CreditClass::*;
    let c = |n: u32, name: &str, class: Option<CreditClass>, plans: &[u32]| Candidate {
        usci: usci(n),
        name: name.into(),
        credit_class: class,
        plans: plans.to_vec(),
        exclusions: Vec::new(),
        previous_inspectors: Vec::new(),
        risk_weight: 1,
    };
    let mut candidates = vec![
        c(1, "舞阳县贾湖酒业有限公司", Some(B), &[0, 1]),
        c(2, "舞阳县盐都食品有限公司", Some(A), &[0]),
        c(3, "舞阳县北舞渡胡辣汤食品厂", Some(C), &[0]),
        c(4, "舞阳县泥河食品有限公司", None, &[0, 1]),
        c(5, "舞阳县锅炉压力容器厂", Some(D), &[1]),
        c(6, "舞阳县绿源面粉有限公司", Some(B), &[0]),
        c(7, "舞阳县鑫源电梯安装有限公司", Some(C), &[1]),
        c(8, "舞阳县康达调味品有限公司", Some(D), &[0, 1]),
        c(9, "舞阳县豫中食品有限公司", Some(B), &[0, 1]),
        c(10, "舞阳县天宇气体有限公司", Some(A), &[1]),
        c(11, "舞阳县福旺豆制品厂", Some(C), &[0, 1]),
        c(12, "舞阳县舞泉饮品有限公司", None, &[0]),
    ];
    candidates[1].exclusions.push(Exclusion {
        plan: 0,
        reason: "class_a_yearly".into(),
        reason_zh: "A类对象12个月内已被随机抽查".into(),
    });
    candidates[7].exclusions.push(Exclusion {
        plan: 0,
        reason: "cooldown".into(),
        reason_zh: "6个月内已就同一事项检查".into(),
    });
    candidates[8].previous_inspectors = vec![cert("ZF41112101"), cert("ZF41112201")];
    candidates[4].previous_inspectors = vec![cert("ZF41112102")];

    let x = |c: &str, name: &str, d: Uuid, quals: &[&str], workload: u32| DrawInspector {
        certificate: cert(c),
        name: name.into(),
        department_id: d,
        kind: InspectorKind::Officer,
        qualifications: quals.iter().map(|q| q.to_string()).collect(),
        conflicts: Vec::new(),
        workload,
    };
    let mut inspectors = vec![
        x("ZF41112101", "张伟", MARKET, &["食品安全"], 0),
        x("ZF41112102", "李娜", MARKET, &["特种设备"], 0),
        x("ZF41112103", "王强", MARKET, &["特种设备", "食品安全"], 3),
        x("ZF41112104", "刘洋", MARKET, &["食品安全"], 0),
        x("ZF41112105", "陈静", MARKET, &[], 0),
        x("ZF41112201", "杨帆", HEALTH, &["食品安全"], 0),
        x("ZF41112202", "赵敏", HEALTH, &[], 0),
        x("ZF41112301", "黄磊", EMERGENCY, &["安全生产"], 0),
        x("ZF41112302", "周杰", EMERGENCY, &[], 1),
    ];
    inspectors[3].conflicts = vec![usci(9)];

    let mut input = DrawInput {
        id: Uuid::from_u128(0x0195f3a0_0000_7000_8000_000000000001),
        title: "舞阳县2026年第二季度跨部门联合双随机抽查".into(),
        region_code: RegionCode::parse("411121").expect("valid region"),
        period_start: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
        period_end: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        redraw_of: None,
        redraw_reason: None,
        plans,
        candidates,
        inspectors,
        v3: None,
    };
    input.normalise();
    input
}

/// Server seed 00 01 02 … 1f; witness "witness-2026" in ASCII.
pub fn seeds() -> Seeds {
    let mut server = [0u8; 32];
    for (k, b) in server.iter_mut().enumerate() {
        *b = k as u8;
    }
    Seeds {
        server: Bytes32(server),
        witness: Some(Witness::new(b"witness-2026".to_vec()).expect("12 bytes")),
        witness_name: Some("舞阳县公证处".into()),
        v3: None,
    }
}

pub fn committed_at() -> DateTime<Utc> {
    "2026-03-31T08:00:00Z".parse().expect("time")
}

pub fn drawn_at() -> DateTime<Utc> {
    "2026-04-01T02:00:00Z".parse().expect("time")
}

/// The complete record of the example.
pub fn record() -> DrawRecord {
    let input = input();
    let seeds = seeds();
    let commitment = commit(&input, &seeds.server, committed_at()).expect("valid input");
    let result = draw(&input, &seeds).expect("the example draws");
    DrawRecord::new(input, commitment, seeds, drawn_at(), result)
}

/// The weighted variant of the example (format `lianjian-draw/2`, docs/draw-algorithm.md
/// section 10): plan 1 (特种设备) is risk-weighted (按风险加权抽取), 91411121MA000001BP and
/// 91411121MA000011BD have risk weight 3 (e.g. a tag 高风险 of weight 3), everything else as in
/// [`input`].
pub fn weighted_input() -> DrawInput {
    let mut input = input();
    input.plans[1].risk_weighted = true;
    for c in &mut input.candidates {
        if c.usci == usci(1) || c.usci == usci(11) {
            c.risk_weight = 3;
        }
    }
    input
}

/// The complete record of the weighted example, same seeds and times as [`record`].
pub fn weighted_record() -> DrawRecord {
    let input = weighted_input();
    let seeds = seeds();
    let commitment = commit(&input, &seeds.server, committed_at()).expect("valid input");
    let result = draw(&input, &seeds).expect("the weighted example draws");
    DrawRecord::new(input, commitment, seeds, drawn_at(), result)
}

// ---------------------------------------------------------------------------------------------
// The `lianjian-draw/3` example (docs/draw-algorithm.md, "Format 3: worked example").

/// Supervisor account of the `/3` example (舞阳县司法局).
pub const SUPERVISOR: Uuid = Uuid::from_u128(0x55555555_5555_4555_8555_555555555555);

/// The `/3` example input: [`weighted_input`] with a beacon announced (中国福利彩票双色球), its
/// inspectors in the `/3` order of [`v3_salt_key`].
pub fn v3_input() -> DrawInput {
    let mut input = weighted_input();
    input.v3 = Some(V3Terms {
        beacon: Some(BeaconSpec {
            source: "中国福利彩票双色球".into(),
            reference: "第2026037期开奖号码".into(),
            available_on: NaiveDate::from_ymd_opt(2026, 4, 2).expect("date"),
        }),
    });
    input.normalise_v3(&v3_salt_key());
    input
}

/// Salt key 20 21 22 … 3f.
pub fn v3_salt_key() -> Bytes32 {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = 0x20 + i as u8;
    }
    Bytes32(k)
}

/// Server seed 00 01 … 1f (as in [`seeds`]); one supervisor contribution (the 16 ASCII bytes
/// `supervisor-2026!`) and the beacon value `03 08 12 19 25 31 + 07`.
pub fn v3_seeds() -> Seeds {
    Seeds {
        server: seeds().server,
        witness: None,
        witness_name: None,
        v3: Some(SeedsV3 {
            salt_key: v3_salt_key(),
            contributions: vec![Contribution {
                account_id: SUPERVISOR,
                name: "舞阳县司法局 王监督".into(),
                value: ContributionValue::new(b"supervisor-2026!".to_vec()).expect("16 bytes"),
                submitted_at: "2026-04-03T01:30:00Z".parse().expect("time"),
            }],
            beacon_value: Some("03 08 12 19 25 31 + 07".into()),
            unwitnessed_reason: None,
        }),
    }
}

/// The `/3` example is drawn two days after its commitment, once the beacon is known.
pub fn v3_drawn_at() -> DateTime<Utc> {
    "2026-04-03T02:00:00Z".parse().expect("time")
}

/// The complete full record of the `/3` example.
pub fn v3_record() -> DrawRecord {
    let input = v3_input();
    let seeds = v3_seeds();
    let commitment =
        commit_v3(&input, &seeds.server, &v3_salt_key(), committed_at()).expect("valid input");
    let result = draw_committed(&input, &seeds, &commitment).expect("the /3 example draws");
    DrawRecord::new(input, commitment, seeds, v3_drawn_at(), result)
}

/// The `/3` worked example as docs/draw-algorithm.md prints it: every input value (seed, salt
/// key, contributions, beacon), every salt and commitment, both canonical texts, the key, the
/// thresholds, the visits and one opening, so that every hash can be recomputed from the
/// document alone. A test checks that the document contains exactly this text.
pub fn v3_worked_example() -> String {
    use std::fmt::Write;
    let r = v3_record();
    let v3 = r.seeds.v3.as_ref().expect("a /3 record");
    let p = r.public_variant().expect("a /3 record");
    let mut s = String::new();
    let w = &mut s;
    writeln!(w, "server seed         {}", r.seeds.server).unwrap();
    writeln!(w, "salt key            {}", v3.salt_key).unwrap();
    for c in &v3.contributions {
        writeln!(
            w,
            "contribution        account {} name {} value {} (submitted {})",
            c.account_id,
            c.name,
            c.value.to_hex(),
            c.submitted_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
        .unwrap();
    }
    let b = r
        .input
        .v3
        .as_ref()
        .and_then(|t| t.beacon.as_ref())
        .expect("a beacon");
    writeln!(
        w,
        "beacon              {} / {} / available on {}",
        b.source, b.reference, b.available_on
    )
    .unwrap();
    writeln!(
        w,
        "beacon value        {}",
        v3.beacon_value.as_deref().unwrap_or("")
    )
    .unwrap();
    writeln!(
        w,
        "committed_at        {}",
        r.commitment
            .committed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
    .unwrap();
    writeln!(
        w,
        "drawn_at            {}",
        r.drawn_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "candidates (index, credit code, class, weight, salt, class commitment):"
    )
    .unwrap();
    for (i, c) in r.input.candidates.iter().enumerate() {
        let salt = super::v3::candidate_salt(&v3.salt_key, i as u32);
        writeln!(
            w,
            "{i:>2} {} {} {:>2} {} {}",
            c.usci,
            c.credit_class.map_or("-", |k| k.as_str()),
            c.risk_weight,
            hex::encode(salt),
            p.input.candidates[i].class_commitment
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "inspectors in /3 order (pseudonym, certificate, name, salt, identity commitment):"
    )
    .unwrap();
    for (j, x) in r.input.inspectors.iter().enumerate() {
        let salt = super::v3::inspector_salt(&v3.salt_key, &x.certificate);
        writeln!(
            w,
            "{} {} {} {} {}",
            p.input.inspectors[j].pseudonym,
            x.certificate.as_str(),
            x.name,
            hex::encode(salt),
            p.input.inspectors[j].identity_commitment
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    writeln!(w, "candidates text (TAB shown as →):").unwrap();
    w.push_str(&super::public_candidates_text(&p.input).replace('\t', "→"));
    writeln!(w).unwrap();
    writeln!(w, "inspectors text:").unwrap();
    w.push_str(&super::public_inspectors_text(&p.input).replace('\t', "→"));
    writeln!(w).unwrap();
    writeln!(w, "candidates_sha256   {}", r.commitment.candidates_sha256).unwrap();
    writeln!(w, "inspectors_sha256   {}", r.commitment.inspectors_sha256).unwrap();
    writeln!(
        w,
        "seed_sha256         {}   (HMAC commitment)",
        r.commitment.seed_sha256
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "contributions text:").unwrap();
    w.push_str(&super::v3::contributions_text(v3).replace('\t', "→"));
    writeln!(w, "key (combined_seed) {}", r.result.combined_seed).unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "numbers and keys (index, u, key of an unweighted plan, key of plan 1):"
    )
    .unwrap();
    let u = super::prns(&r.result.combined_seed, r.input.candidates.len());
    for (i, c) in r.input.candidates.iter().enumerate() {
        writeln!(
            w,
            "{i:>2} {:016x} {:032x} {:032x}",
            u[i],
            super::weighted_key(u[i], 1, i as u32),
            super::weighted_key(u[i], c.risk_weight, i as u32)
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "counts and thresholds (plan, class: eligible/quota/drawn, threshold):"
    )
    .unwrap();
    for (k, plan) in r.input.plans.iter().enumerate() {
        for h in super::Stratum::ALL {
            let c = r.result.counts[k].get(h);
            let t = p.result.thresholds[k].get(h);
            writeln!(
                w,
                "{} {:<8} {}/{}/{} {}",
                plan.code,
                h.as_str(),
                c.eligible,
                c.quota,
                c.drawn,
                t.map_or("none".into(), |t| format!("{:032x}", t.0))
            )
            .unwrap();
        }
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "visits (credit code, plans, lead plan, officers, experts):"
    )
    .unwrap();
    for v in &p.result.visits {
        writeln!(
            w,
            "{} {:?} {} [{}] [{}]",
            v.usci,
            v.plans,
            v.lead_plan,
            v.inspectors.join(","),
            v.experts.join(",")
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    let first = &r.result.visits[0].usci;
    writeln!(w, "opening of {first}:").unwrap();
    w.push_str(&r.opening(first).expect("in the pool").to_json_pretty());
    w.push('\n');
    s
}

/// The `/3` example with a random control share (docs/draw-algorithm.md 12.13): plan 1
/// (risk-weighted) keeps 50 % of each class's quota as its control share; everything else as
/// in [`v3_input`].
pub fn v3_control_input() -> DrawInput {
    let mut input = v3_input();
    input.plans[1].control_permille = 500;
    input
}

/// The complete full record of the control-share example, seeds and times as [`v3_record`].
pub fn v3_control_record() -> DrawRecord {
    let input = v3_control_input();
    let seeds = v3_seeds();
    let commitment =
        commit_v3(&input, &seeds.server, &v3_salt_key(), committed_at()).expect("valid input");
    let result = draw_committed(&input, &seeds, &commitment).expect("the control example draws");
    DrawRecord::new(input, commitment, seeds, v3_drawn_at(), result)
}

/// The control-share example as docs/draw-algorithm.md prints it (12.13): what differs from
/// the `/3` worked example — plan 1's line of the candidates text, the hashes and the key, then
/// every number and key, the counts with their control picks, both thresholds, the visits with
/// their control plans and the opening of a control pick. A test checks that the document
/// contains exactly this text.
pub fn v3_control_worked_example() -> String {
    use std::fmt::Write;
    let r = v3_control_record();
    let p = r.public_variant().expect("a /3 record");
    let mut s = String::new();
    let w = &mut s;
    let text = super::public_candidates_text(&p.input);
    writeln!(w, "plan 1 line of the candidates text (TAB shown as →):").unwrap();
    for line in text.lines().filter(|l| l.starts_with("plan\t")).skip(1) {
        writeln!(w, "{}", line.replace('\t', "→")).unwrap();
    }
    writeln!(w, "candidates_sha256   {}", r.commitment.candidates_sha256).unwrap();
    writeln!(w, "inspectors_sha256   {}", r.commitment.inspectors_sha256).unwrap();
    writeln!(w, "key (combined_seed) {}", r.result.combined_seed).unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "numbers and keys (index, class, u, plain key, key of plan 1):"
    )
    .unwrap();
    let u = super::prns(&r.result.combined_seed, r.input.candidates.len());
    for (i, c) in r.input.candidates.iter().enumerate() {
        writeln!(
            w,
            "{i:>2} {} {:016x} {:032x} {:032x}",
            c.credit_class.map_or("-", |k| k.as_str()),
            u[i],
            super::weighted_key(u[i], 1, i as u32),
            super::weighted_key(u[i], c.risk_weight, i as u32)
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "counts and thresholds (plan, class: eligible/quota/drawn/control, threshold, control threshold):"
    )
    .unwrap();
    let control = p
        .result
        .control_thresholds
        .as_ref()
        .expect("a control share");
    let hex = |t: Option<super::Threshold>| t.map_or("none".into(), |t| format!("{:032x}", t.0));
    for (k, plan) in r.input.plans.iter().enumerate() {
        for h in super::Stratum::ALL {
            let c = r.result.counts[k].get(h);
            writeln!(
                w,
                "{} {:<8} {}/{}/{}/{} {} {}",
                plan.code,
                h.as_str(),
                c.eligible,
                c.quota,
                c.drawn,
                c.control,
                hex(*p.result.thresholds[k].get(h)),
                hex(*control[k].get(h)),
            )
            .unwrap();
        }
    }
    writeln!(w).unwrap();
    writeln!(
        w,
        "visits (credit code, plans, control plans, lead plan, officers, experts):"
    )
    .unwrap();
    for v in &p.result.visits {
        writeln!(
            w,
            "{} {:?} {:?} {} [{}] [{}]",
            v.usci,
            v.plans,
            v.control_plans,
            v.lead_plan,
            v.inspectors.join(","),
            v.experts.join(",")
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    let pick = r
        .result
        .visits
        .iter()
        .find(|v| !v.control_plans.is_empty())
        .expect("a control pick");
    writeln!(w, "opening of {} (a control pick):", pick.usci).unwrap();
    w.push_str(&r.opening(&pick.usci).expect("in the pool").to_json_pretty());
    w.push('\n');
    s
}
