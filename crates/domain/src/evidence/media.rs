//! What may be uploaded as evidence: photos (JPEG, PNG, WebP, HEIC/HEIF, as phones take them in
//! the field) and PDF documents, recognised by their content's first bytes (magic numbers), not
//! by the name or the type a client declares; and at most a configured number of bytes. Every
//! refusal names the file, what was found and the limit, in Chinese and English.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Invalid;

/// A type evidence may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Heic,
    Heif,
    Pdf,
}

impl MediaType {
    pub const ALL: [MediaType; 6] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Heic,
        MediaType::Heif,
        MediaType::Pdf,
    ];

    /// The IANA media type, as written in the canonical leaf.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Heif => "image/heif",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// The usual file extension, for download names.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Heic => "heic",
            MediaType::Heif => "heif",
            MediaType::Pdf => "pdf",
        }
    }

    /// Exactly one of the six canonical names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// A type a client declared (`Content-Type` of a multipart part): parameters and case are
    /// ignored, and the common aliases accepted. `Ok(None)` when nothing is declared (empty or
    /// `application/octet-stream`); `Err` with the declared text for any other type.
    pub fn from_declared(s: &str) -> Result<Option<Self>, String> {
        let t = s
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match t.as_str() {
            "" | "application/octet-stream" => Ok(None),
            "image/jpg" | "image/pjpeg" => Ok(Some(MediaType::Jpeg)),
            "image/x-png" => Ok(Some(MediaType::Png)),
            "application/x-pdf" => Ok(Some(MediaType::Pdf)),
            "image/heic-sequence" => Ok(Some(MediaType::Heic)),
            "image/heif-sequence" => Ok(Some(MediaType::Heif)),
            other => Self::parse(other)
                .map(Some)
                .ok_or_else(|| other.to_string()),
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown media type {s:?}, expected one of {}",
                MediaType::ALL.map(|m| m.as_str()).join(", ")
            ))
        })
    }
}

/// HEIF brands (ISO/IEC 23008-12 Annex B): HEVC-coded images are `image/heic`, the generic
/// image and sequence brands `image/heif`.
const HEIC_BRANDS: [&[u8; 4]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];
const HEIF_BRANDS: [&[u8; 4]; 2] = [b"mif1", b"msf1"];

/// The type of `bytes` from its first bytes, or `None` when it is none of the allowed ones.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(MediaType::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(MediaType::Webp);
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(MediaType::Pdf);
    }
    // ISO base media file: a `ftyp` box first, its size in the first four bytes (big-endian),
    // then the major brand and a list of compatible brands.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if size < 16 || size > bytes.len() || !size.is_multiple_of(4) {
            return None;
        }
        let major = &bytes[8..12];
        let compatible = bytes[16..size].chunks_exact(4);
        let is = |set: &[&[u8; 4]], b: &[u8]| set.iter().any(|x| x.as_slice() == b);
        if is(&HEIC_BRANDS, major) {
            return Some(MediaType::Heic);
        }
        if is(&HEIF_BRANDS, major) {
            return Some(if compatible.clone().any(|b| is(&HEIC_BRANDS, b)) {
                MediaType::Heic
            } else {
                MediaType::Heif
            });
        }
    }
    None
}

/// Default largest file: 10 MiB, room for a phone photo or a scanned page.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// `12.3 MiB`, `512 KiB`, `900 字节` — sizes as people read them.
pub fn human_size(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if n >= 1024 * 1024 {
        let v = f / (KIB * KIB);
        if v.fract() == 0.0 {
            format!("{v:.0} MiB")
        } else {
            format!("{v:.1} MiB")
        }
    } else if n >= 1024 {
        format!("{:.0} KiB", f / KIB)
    } else {
        format!("{n} B")
    }
}

/// The name a file is shown and linked under: its last path component, trimmed, control
/// characters refused, at most 255 characters.
pub fn filename(s: &str) -> Result<String, Invalid> {
    let last = s.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    crate::error::bounded_text(last, 1, 255, "文件名", "file name")
}

/// A file name fit for messages, even when the upload had none or a bad one.
pub fn display_name(s: &str) -> String {
    filename(s).unwrap_or_else(|_| "（未命名文件 unnamed file）".into())
}

/// The error for a file over the limit. `at_least` when the upload was cut off at the limit
/// and its full size is unknown.
pub fn too_large(name: &str, size: u64, at_least: bool, max: u64) -> Invalid {
    let name = display_name(name);
    let (zh_more, en_more) = if at_least {
        ("超过", "more than ")
    } else {
        ("", "")
    };
    Invalid::new(
        "file_too_large",
        format!(
            "文件“{name}”大小{zh_more} {}（{size} 字节），超过证据文件上限 {}（{max} 字节），未保存",
            human_size(size),
            human_size(max)
        ),
        format!(
            "file '{name}' is {en_more}{} ({size} bytes), over the evidence limit of {} ({max} bytes); nothing was stored",
            human_size(size),
            human_size(max)
        ),
    )
}

fn allowed_zh() -> &'static str {
    "JPEG、PNG、WebP、HEIC/HEIF 图片或 PDF 文件"
}

fn allowed_en() -> &'static str {
    "JPEG, PNG, WebP or HEIC/HEIF images, or PDF documents"
}

/// Checks an upload: not empty, within `max_bytes`, content of an allowed type, and a declared
/// type (if any) that agrees with the content. Returns the type found.
pub fn check_upload(
    name: &str,
    declared: Option<&str>,
    bytes: &[u8],
    max_bytes: u64,
) -> Result<MediaType, Invalid> {
    let shown = display_name(name);
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(Invalid::new(
            "empty_file",
            format!("文件“{shown}”为空，未保存"),
            format!("file '{shown}' is empty; nothing was stored"),
        ));
    }
    if size > max_bytes {
        return Err(too_large(name, size, false, max_bytes));
    }
    let Some(found) = sniff(bytes) else {
        let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02X}")).collect();
        let head = head.join(" ");
        let claimed = declared
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .map(|d| format!("（声明为 {d}）"))
            .unwrap_or_default();
        let claimed_en = declared
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .map(|d| format!(" (declared as {d})"))
            .unwrap_or_default();
        return Err(Invalid::new(
            "forbidden_type",
            format!(
                "文件“{shown}”{claimed}的内容不是允许的证据类型（文件开头字节 {head}），只接受{}，未保存",
                allowed_zh()
            ),
            format!(
                "file '{shown}'{claimed_en} is not an allowed evidence type (first bytes {head}); only {} are accepted; nothing was stored",
                allowed_en()
            ),
        ));
    };
    if let Some(d) = declared {
        let agrees = match MediaType::from_declared(d) {
            Ok(None) => true,
            // HEIC is a HEIF brand: a phone declaring either for the other is not contradicting.
            Ok(Some(t)) => {
                t == found
                    || matches!(
                        (t, found),
                        (MediaType::Heic, MediaType::Heif) | (MediaType::Heif, MediaType::Heic)
                    )
            }
            Err(_) => false,
        };
        if !agrees {
            let d = d.trim();
            return Err(Invalid::new(
                "type_mismatch",
                format!("文件“{shown}”声明的类型 {d} 与内容（{found}）不符，未保存"),
                format!(
                    "file '{shown}' is declared as {d} but its content is {found}; nothing was stored"
                ),
            ));
        }
    }
    Ok(found)
}
