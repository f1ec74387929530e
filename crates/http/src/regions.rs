//! Region pickers: the regions a page offers by name instead of a code box (issue 13). The
//! portal offers its jurisdiction's regions, the console those of the user's scope. The region
//! tables are built in, so each list is made once per root and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use lianjian_services::Services;

/// (code, indented name) pairs.
pub type Options = Arc<Vec<(String, String)>>;

/// The most choices a picker offers. Every level of a jurisdiction is listed down to the
/// townships while that stays under this bound (a county, a city, most provinces); beyond it the
/// list stops at the deepest level that fits (the whole country: provinces, cities, counties).
const MAX_CHOICES: usize = 3500;

/// The regions below `root` (every level its jurisdiction holds, see [`MAX_CHOICES`]; from the
/// provinces for no root), parents before their children, indented by depth.
pub async fn below(svc: &Services, root: Option<&str>) -> Options {
    tree(svc, root, false).await
}

/// The regions a console user may pick: the scope's own region first, then those below it.
pub async fn within_scope(svc: &Services, root: Option<&str>) -> Options {
    tree(svc, root, true).await
}

async fn tree(svc: &Services, root: Option<&str>, with_root: bool) -> Options {
    type Cache = Mutex<HashMap<(Option<String>, bool), Options>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (root.map(str::to_string), with_root);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().expect("region cache").get(&key) {
        return v.clone();
    }
    let Ok(all) = lianjian_services::regions::subtree(svc, root).await else {
        // Not cached: a failed lookup is tried again by the next page.
        return Arc::new(Vec::new());
    };
    let out = Arc::new(indented(&all, root.map_or(0, str::len), with_root));
    cache.lock().expect("region cache").insert(key, out.clone());
    out
}

/// `regions` (a subtree in code order) as picker choices: the levels below a root whose code
/// has `root_len` digits (0: none), as deep as [`MAX_CHOICES`] allows, each indented one
/// full-width space per level below the first one shown.
fn indented(
    regions: &[lianjian_services::regions::Region],
    root_len: usize,
    with_root: bool,
) -> Vec<(String, String)> {
    // Code lengths of the levels below the root, shallowest first (2, 4, 6, 9).
    let mut lens: Vec<usize> = regions
        .iter()
        .map(|r| r.code.as_str().len())
        .filter(|l| *l > root_len)
        .collect();
    lens.sort_unstable();
    lens.dedup();
    let mut deepest = 0;
    let mut n = usize::from(with_root && root_len > 0);
    for (i, len) in lens.iter().enumerate() {
        let here = regions
            .iter()
            .filter(|r| r.code.as_str().len() == *len)
            .count();
        if i > 0 && n + here > MAX_CHOICES {
            break;
        }
        n += here;
        deepest = *len;
    }
    let depth_of = |len: usize| {
        let below = lens.iter().filter(|l| **l < len).count();
        below + usize::from(with_root && root_len > 0)
    };
    regions
        .iter()
        .filter(|r| {
            let len = r.code.as_str().len();
            (len > root_len && len <= deepest) || (with_root && root_len > 0 && len == root_len)
        })
        .map(|r| {
            let len = r.code.as_str().len();
            let depth = if len == root_len { 0 } else { depth_of(len) };
            (
                r.code.to_string(),
                format!("{}{}", "\u{3000}".repeat(depth), r.name),
            )
        })
        .collect()
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
