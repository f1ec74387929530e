//! Installs the front-end packages of `ui/package-lock.json` (Bootstrap, ECharts) with `npm ci` into
//! `OUT_DIR`, so `assets.rs` can compile their files into the binary: versions come from the
//! lockfile, nothing is copied into the repository and nothing is loaded at run time.
//!
//! `LIANJIAN_UI_NODE_MODULES` may name an already installed `node_modules` folder (for builds
//! without registry access); it must hold the lockfile's versions.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files `assets.rs` includes, relative to `node_modules`.
const FILES: &[&str] = &[
    "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js",
    // Charts of the analysis pages (分析评估).
    "echarts/dist/echarts.min.js",
];

fn main() {
    println!("cargo:rerun-if-changed=ui/package.json");
    println!("cargo:rerun-if-changed=ui/package-lock.json");
    println!("cargo:rerun-if-env-changed=LIANJIAN_UI_NODE_MODULES");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let modules = match std::env::var_os("LIANJIAN_UI_NODE_MODULES") {
        Some(dir) => PathBuf::from(dir),
        None => install(&out.join("ui")),
    };
    let dest = out.join("ui-assets");
    std::fs::create_dir_all(&dest).expect("create ui-assets");
    for f in FILES {
        let src = modules.join(f);
        let name = Path::new(f).file_name().expect("file name");
        std::fs::copy(&src, dest.join(name)).unwrap_or_else(|e| {
            panic!(
                "front-end file {} is missing ({e}); run `npm ci` in crates/http/ui",
                src.display()
            )
        });
    }
}

/// `npm ci` in `dir` unless the installed lockfile is already the one in the repository.
fn install(dir: &Path) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let lock = std::fs::read(manifest.join("package-lock.json")).expect("ui/package-lock.json");
    let stamp = dir.join("installed-lock.json");
    if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) && dir.join("node_modules").is_dir()
    {
        return dir.join("node_modules");
    }
    std::fs::create_dir_all(dir).expect("create ui build folder");
    std::fs::copy(manifest.join("package.json"), dir.join("package.json")).expect("package.json");
    std::fs::write(dir.join("package-lock.json"), &lock).expect("package-lock.json");
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--prefer-offline",
        ])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| {
            panic!("building the UI assets needs Node.js and npm (`apt-get install npm`): {e}")
        });
    assert!(
        status.success(),
        "`npm ci` for crates/http/ui failed: {status}"
    );
    std::fs::write(&stamp, &lock).expect("stamp");
    dir.join("node_modules")
}
