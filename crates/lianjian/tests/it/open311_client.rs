//! Open311 GeoReport v2 as outside clients see it (issue 14 item 6): the real binary serves the
//! demo on a free port, an API key is made with `lianjian open311 key create`, and two
//! published Python client libraries nobody here wrote (civicbot's GeoReport client and
//! georeport, pinned in `tests/open311/requirements.txt`) run `tests/open311/client_check.py`
//! against it unchanged: services, a definition, posting a request, its token, the request and
//! the list with filters and paging, in JSON and XML, and the spec's errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

/// A virtual environment with exactly the pinned packages, made once per lockfile (CI makes it
/// in `.ci/run` and names its interpreter in `LIANJIAN_OPEN311_CLIENT_PYTHON`).
fn client_env() -> PathBuf {
    if let Some(p) = std::env::var_os("LIANJIAN_OPEN311_CLIENT_PYTHON") {
        return PathBuf::from(p);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311");
    let lock = std::fs::read(here.join("requirements.txt")).expect("requirements.txt");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("open311-client");
    let stamp = dir.join("installed-requirements.txt");
    let python = dir.join("bin/python");
    if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) && python.exists() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .status()
        .unwrap_or_else(|e| panic!("the Open311 client check needs python3: {e}"));
    assert!(ok.success(), "python3 -m venv failed: {ok}");
    let ok = Command::new(dir.join("bin/pip"))
        .args(["install", "-q", "--no-deps", "-r"])
        .arg(here.join("requirements.txt"))
        .status()
        .expect("pip");
    assert!(
        ok.success(),
        "installing the Open311 client libraries failed: {ok}"
    );
    std::fs::write(&stamp, &lock).unwrap();
    python
}

#[test]
fn published_open311_clients_work_unchanged() {
    let python = client_env();
    let data = common::temp_dir("open311-client");
    let data_s = data.to_string_lossy().to_string();
    let server = common::start(&["demo", "--listen", "127.0.0.1:0", "--data-dir", &data_s]);
    let db = format!("sqlite://{data_s}/demo.db");
    let (code, out, err) = common::run(
        &[
            "open311",
            "key",
            "create",
            "--name",
            "client-check",
            "--region",
            "411121",
            "--database-url",
            &db,
        ],
        &[],
    );
    assert_eq!(code, 0, "key create: {out}{err}");
    let key = out.lines().last().expect("the key").trim().to_string();
    assert!(key.starts_with("o311_"), "{out}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311/client_check.py");
    let run = Command::new(&python)
        .arg(&script)
        .env("OPEN311_ENDPOINT", format!("{}/open311/v2", server.base))
        .env("OPEN311_API_KEY", &key)
        .output()
        .expect("run the client check");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "client check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
