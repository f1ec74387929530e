//! Form posts and query strings with repeated fields (table rows of licences, departments and
//! check points; several tags), read as the pairs the browser sent.

use std::collections::BTreeMap;

use lianjian_services::ServiceError;

/// The pairs of a form post, in order.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, as typed; empty if absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order (one per table row).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Columns of a table posted as repeated fields, zipped into rows (short columns padded).
    pub fn rows<const N: usize>(&self, names: [&str; N]) -> Vec<[String; N]> {
        let cols: Vec<Vec<String>> = names.iter().map(|n| self.all(n)).collect();
        let len = cols.iter().map(Vec::len).max().unwrap_or(0);
        (0..len)
            .map(|i| std::array::from_fn(|c| cols[c].get(i).cloned().unwrap_or_default()))
            .collect()
    }
}

/// Field errors of a service failure (validation or conflict), or none for other failures.
pub fn errors_of(e: &ServiceError) -> Option<BTreeMap<String, String>> {
    match e {
        ServiceError::Invalid(fields) => {
            let mut m: BTreeMap<String, String> = BTreeMap::new();
            for f in fields {
                m.entry(f.field.clone())
                    .and_modify(|v| {
                        v.push('；');
                        v.push_str(&f.message);
                    })
                    .or_insert_with(|| f.message.clone());
            }
            Some(m)
        }
        ServiceError::Conflict { field, message, .. } => {
            Some([(field.clone(), message.clone())].into())
        }
        _ => None,
    }
}

/// The errors of one table row: `prefix` itself and `prefix.*`, joined.
pub fn row_error(errors: &BTreeMap<String, String>, prefix: &str) -> Option<String> {
    let dotted = format!("{prefix}.");
    let v: Vec<&str> = errors
        .iter()
        .filter(|(k, _)| *k == prefix || k.starts_with(&dotted))
        .map(|(_, v)| v.as_str())
        .collect();
    if v.is_empty() {
        None
    } else {
        Some(v.join("；"))
    }
}

/// Labels of audit actions on entities and items, for timelines.
pub fn action_label(action: &str) -> &str {
    match action {
        "entity.create" => "新增监管对象",
        "entity.update" => "修改监管对象",
        "entity.tag_add" => "添加标签",
        "entity.tag_remove" => "移除标签",
        "claim.notify" => "双告知推送主管部门",
        "claim.accept" => "部门认领",
        "claim.reject" => "部门退回",
        "claim.escalate" => "提交联席办研判",
        "claim.assign" => "联席办指定部门",
        "item.create" => "新建事项",
        "item.update" => "修改事项",
        "item.publish" => "发布事项",
        "item.retire" => "停用事项",
        "entity.inspection_result" => "检查结果公示",
        other => other,
    }
}

/// A short human summary of an audit entry's `after` JSON: the tag, reason, department or note.
pub fn action_summary(after: Option<&str>) -> String {
    let Some(v) = after.and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()) else {
        return String::new();
    };
    let mut parts = Vec::new();
    for (key, label) in [
        ("tag", "标签"),
        ("department", "部门"),
        ("reason", "理由"),
        ("note", "说明"),
        ("matched_by", "依据"),
    ] {
        if let Some(s) = v
            .get(key)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
        {
            parts.push(format!("{label}：{s}"));
        }
    }
    if let Some(results) = v.get("results").and_then(|r| r.as_array()) {
        let visit = v.get("visit").and_then(|x| x.as_str()).unwrap_or_default();
        let items: Vec<String> = results
            .iter()
            .map(|r| {
                format!(
                    "{}：{}",
                    r.get("item").and_then(|x| x.as_str()).unwrap_or_default(),
                    r.get("result").and_then(|x| x.as_str()).unwrap_or("—")
                )
            })
            .collect();
        parts.push(format!("检查 {visit}，{}", items.join("，")));
    }
    if let Some(e) = v
        .get("entity")
        .and_then(|e| e.get("name"))
        .and_then(|x| x.as_str())
    {
        parts.push(format!("名称：{e}"));
    }
    parts.join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_zip_columns() {
        let f = FormData(vec![
            ("a".into(), "1".into()),
            ("b".into(), "x".into()),
            ("a".into(), "2".into()),
            ("b".into(), "".into()),
            ("a".into(), "3".into()),
        ]);
        assert_eq!(
            f.rows(["a", "b"]),
            vec![
                ["1".to_string(), "x".into()],
                ["2".into(), "".into()],
                ["3".into(), "".into()]
            ]
        );
        let mut e = BTreeMap::new();
        e.insert(
            "cooperating[0].duties".to_string(),
            "监管职责至少 2 个字符".to_string(),
        );
        e.insert("cooperating[1]".to_string(), "x".to_string());
        assert_eq!(
            row_error(&e, "cooperating[0]").as_deref(),
            Some("监管职责至少 2 个字符")
        );
        assert_eq!(row_error(&e, "cooperating[2]"), None);
    }
}
