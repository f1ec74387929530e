//! Synthetic directory rows for benchmarks and load tests (`import_bench`, `lianjian bench
//! --import-load`): one generator, so every figure in `docs/performance.md` is for the same file.

use lianjian_domain::usci::Usci;

/// A valid credit code of 舞阳县 (411121) for the `n`-th synthetic entity of kind `kind`.
fn usci(kind: &str, n: u32) -> String {
    let first17 = format!("{kind}411121MA{n:06}B");
    format!(
        "{first17}{}",
        Usci::check_char(&first17).expect("valid characters")
    )
}

const TRADES: &[(&str, &str, &str)] = &[
    ("餐饮", "6210", "餐饮服务；食品销售"),
    ("超市", "5212", "食品销售；日用百货销售"),
    ("药店", "5251", "药品零售；医疗器械销售"),
    ("酒店", "6110", "住宿服务；餐饮服务"),
    ("加油站", "5265", "成品油零售；危险化学品经营"),
    ("幼儿园", "8310", "学前教育"),
    ("养老院", "8514", "养老服务"),
    ("建材", "5165", "建筑材料销售"),
];

/// `n` synthetic entities of 舞阳县 on about 1.1 rows each, in the directory template's columns:
/// 40 % with a 食品经营许可证, 10 % with a second licence on a second row, credit classes, one in
/// 50 注销; regions taken from `regions` in turn.
pub fn rows(n: u32, regions: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::with_capacity(n as usize + n as usize / 2);
    for i in 1..=n {
        let (trade, industry, scope) = TRADES[(i as usize * 7) % TRADES.len()];
        let kind = if i % 3 == 0 { "92" } else { "91" };
        let code = usci(kind, i);
        let region = &regions[(i as usize * 13) % regions.len()];
        let credit = ["A", "B", "B", "C", "D", ""][(i % 6) as usize];
        let base = vec![
            code.clone(),
            format!(
                "舞阳县{trade}第{i}号{}",
                if kind == "92" { "店" } else { "有限公司" }
            ),
            String::new(),
            format!("经营者{}", i % 997),
            format!(
                "舞阳县{}路{}号",
                ["人民", "建设", "解放", "文化", "泥河"][(i % 5) as usize],
                i % 300 + 1
            ),
            region.clone(),
            industry.into(),
            if i % 50 == 0 {
                "注销".into()
            } else {
                String::new()
            },
            scope.into(),
            credit.into(),
            if credit.is_empty() {
                String::new()
            } else {
                "2026-03-31".into()
            },
            if credit.is_empty() {
                String::new()
            } else {
                "市场监管部门".into()
            },
            String::new(),
        ];
        let mut licences: Vec<[String; 5]> = Vec::new();
        if i % 5 < 2 {
            licences.push([
                "食品经营许可证".into(),
                format!("JY1411121{i:07}"),
                "舞阳县市场监督管理局".into(),
                "2024-01-01".into(),
                "2028-12-31".into(),
            ]);
        }
        if i % 10 == 0 {
            licences.push([
                "公共场所卫生许可证".into(),
                format!("WS-2025-{i:07}"),
                "舞阳县卫生健康委员会".into(),
                "2025-01-01".into(),
                "2029-12-31".into(),
            ]);
        }
        if licences.is_empty() {
            let mut r = base.clone();
            r.extend(std::iter::repeat_n(String::new(), 5));
            out.push(r);
        }
        for (k, l) in licences.into_iter().enumerate() {
            // Later rows of the same entity give only the credit code and the licence.
            let mut r = if k == 0 {
                base.clone()
            } else {
                vec![code.clone()]
                    .into_iter()
                    .chain(std::iter::repeat_n(String::new(), 12))
                    .collect()
            };
            r.extend(l);
            out.push(r);
        }
    }
    out
}
