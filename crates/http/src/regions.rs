//! Region pickers: the regions a page offers by name instead of a code box (issue 13). The
//! portal offers its jurisdiction's regions, the console those of the user's scope. The region
//! tables are built in, so each list is made once per root and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use lianjian_services::Services;

/// (code, indented name) pairs.
pub type Options = Arc<Vec<(String, String)>>;

/// The regions two levels below `root` (a county's towns; a province's cities and their
/// counties; the provinces and their cities for no root), as (code, indented name).
pub async fn below(svc: &Services, root: Option<&str>) -> Options {
    static CACHE: OnceLock<Mutex<HashMap<Option<String>, Options>>> = OnceLock::new();
    let key = root.map(str::to_string);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().expect("region cache").get(&key) {
        return v.clone();
    }
    let children = lianjian_services::regions::children;
    let mut out = Vec::new();
    let Ok(top) = children(svc, root).await else {
        // Not cached: a failed lookup is tried again by the next page.
        return Arc::new(out);
    };
    for r in top {
        let code = r.code.to_string();
        out.push((code.clone(), r.name));
        if let Ok(below) = children(svc, Some(&code)).await {
            out.extend(
                below
                    .into_iter()
                    .map(|c| (c.code.to_string(), format!("\u{3000}{}", c.name))),
            );
        }
    }
    let out = Arc::new(out);
    cache.lock().expect("region cache").insert(key, out.clone());
    out
}

/// The regions a console user may pick: the scope's own region first, then two levels below.
pub async fn within_scope(svc: &Services, root: Option<&str>) -> Options {
    static CACHE: OnceLock<Mutex<HashMap<Option<String>, Options>>> = OnceLock::new();
    let key = root.map(str::to_string);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().expect("region cache").get(&key) {
        return v.clone();
    }
    let below = below(svc, root).await;
    let Some(code) = root else {
        return below;
    };
    let Ok(top) = lianjian_services::regions::get(svc, code).await else {
        return below;
    };
    let mut out = Vec::with_capacity(below.len() + 1);
    out.push((code.to_string(), top.name));
    out.extend(
        below
            .iter()
            .map(|(c, n)| (c.clone(), format!("\u{3000}{n}"))),
    );
    let out = Arc::new(out);
    cache.lock().expect("region cache").insert(key, out.clone());
    out
}

/// The choices of a picker whose current value is `value`: (code, label, selected). A value
/// not among them (a region deeper down, or a code typed in a link) stays as its own choice, so
/// that saving a form never changes it silently.
pub fn choices<'a>(
    options: &'a [(String, String)],
    value: &'a str,
) -> Vec<(&'a str, &'a str, bool)> {
    let value = value.trim();
    let mut out: Vec<_> = options
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str(), c == value))
        .collect();
    if !value.is_empty() && !out.iter().any(|(_, _, on)| *on) {
        out.insert(0, (value, value, true));
    }
    out
}

/// The name of `code` among `options`, or the code itself.
pub fn name_of<'a>(options: &'a [(String, String)], code: &'a str) -> &'a str {
    options
        .iter()
        .find(|(c, _)| c == code)
        .map_or(code, |(_, n)| n.trim_start_matches('\u{3000}'))
}

/// The name of the region `code` (e.g. a department's region in a picker label), or the code
/// when it is unknown. Names are kept once looked up.
pub async fn name(svc: &Services, code: &str) -> String {
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(n) = cache.lock().expect("region cache").get(code) {
        return n.clone();
    }
    match lianjian_services::regions::get(svc, code).await {
        Ok(r) => {
            cache
                .lock()
                .expect("region cache")
                .insert(code.to_string(), r.name.clone());
            r.name
        }
        Err(_) => code.to_string(),
    }
}
