//! User-interface text. zh-CN is the default and only shipped locale; another locale is one
//! more TOML file under `locales/` with the same keys (a test checks they match).

use std::collections::HashMap;
use std::sync::OnceLock;

const ZH_CN: &str = include_str!("../locales/zh-CN.toml");

/// A flat catalogue: `nav.users` → "用户管理".
#[derive(Debug)]
pub struct Messages {
    map: HashMap<String, String>,
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

impl Messages {
    pub fn parse(src: &str) -> Result<Self, toml::de::Error> {
        let v: toml::Value = toml::from_str(src)?;
        let mut map = HashMap::new();
        flatten("", &v, &mut map);
        Ok(Self { map })
    }

    /// The text for `key`; the key itself if missing, so a gap shows instead of breaking a page.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map(String::as_str).unwrap_or(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }
}

/// The zh-CN catalogue.
pub fn zh_cn() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(|| Messages::parse(ZH_CN).expect("locales/zh-CN.toml is valid TOML"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_loads() {
        let m = super::zh_cn();
        assert_eq!(m.get("app.name"), "联监");
        assert_eq!(m.get("no.such.key"), "no.such.key");
    }
}
