//! The Merkle log against a direct transcription of RFC 9162's recursive definitions, every
//! proof for every small tree, alterations of every part of a proof document, the upload
//! checks, and the worked example of `docs/evidence.md`.

use proptest::prelude::*;

use super::merkle::*;
use super::*;

// ---- RFC 9162 §2.1 as written: recursion over slices of leaf hashes ----

fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return vec![];
    }
    let k = split(d.len() as u64) as usize;
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split(n as u64) as usize;
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
        .collect()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[bit / 8 % 32] ^= 1 << (bit % 8);
    Bytes32(b)
}

#[test]
fn hashes_are_rfc_9162() {
    // RFC 9162 §2.1.1: the empty root is SHA-256 of nothing; leaves and nodes are prefixed.
    assert_eq!(
        empty_root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(leaf_hash(b""), sha256(&[0u8]));
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut cat = vec![1u8];
    cat.extend(a.0);
    cat.extend(b.0);
    assert_eq!(node_hash(&a, &b), sha256(&cat));
    assert_eq!(split(2), 1);
    assert_eq!(split(5), 4);
    assert_eq!(split(8), 4);
    assert_eq!(split(9), 8);
}

#[test]
fn every_proof_of_every_small_tree_matches_the_rfc_and_verifies() {
    let all = leaves(70);
    let tree = MemoryTree::from_leaves(all.iter().copied());
    for n in 0..=70usize {
        let root = tree.root(n as u64);
        assert_eq!(root, mth(&all[..n]), "root of {n}");
        for m in 0..n {
            let p = tree.inclusion(m as u64, n as u64);
            assert_eq!(p, path(m, &all[..n]), "PATH({m}, {n})");
            assert_eq!(
                root_from_inclusion(&all[m], m as u64, n as u64, &p),
                Some(root),
                "leaf {m} of {n}"
            );
            // Any other leaf, any altered path node, any other index: another root or none.
            let other = leaf_hash(b"not in the tree");
            assert_ne!(
                root_from_inclusion(&other, m as u64, n as u64, &p),
                Some(root)
            );
            for k in 0..p.len() {
                let mut q = p.clone();
                q[k] = flip(&q[k], k * 7 + m);
                assert_ne!(
                    root_from_inclusion(&all[m], m as u64, n as u64, &q),
                    Some(root),
                    "altered node {k} of PATH({m}, {n})"
                );
            }
            for i in 0..n {
                if i != m {
                    assert_ne!(
                        root_from_inclusion(&all[m], i as u64, n as u64, &p),
                        Some(root),
                        "leaf {m} claimed at {i} of {n}"
                    );
                }
            }
            // A path with a hash too few or too many does not verify.
            if !p.is_empty() {
                assert_eq!(
                    root_from_inclusion(&all[m], m as u64, n as u64, &p[..p.len() - 1]),
                    None
                );
            }
            let mut longer = p.clone();
            longer.push(all[0]);
            assert_eq!(
                root_from_inclusion(&all[m], m as u64, n as u64, &longer),
                None
            );
        }
        assert_eq!(root_from_inclusion(&all[0], n as u64, n as u64, &[]), None);
    }
}

#[test]
fn consistency_between_every_pair_of_small_trees() {
    let all = leaves(40);
    let tree = MemoryTree::from_leaves(all.iter().copied());
    for n in 0..=40u64 {
        let rn = tree.root(n);
        for m in 0..=n {
            let rm = tree.root(m);
            let p = tree.consistency(m, n);
            if m > 0 && m < n {
                assert_eq!(p, subproof(m as usize, &all[..n as usize], true));
            } else {
                assert!(p.is_empty());
            }
            assert!(verify_consistency(m, n, &rm, &rn, &p), "{m} → {n}");
            for k in 0..p.len() {
                let mut q = p.clone();
                q[k] = flip(&q[k], k + 3);
                assert!(
                    !verify_consistency(m, n, &rm, &rn, &q),
                    "altered {k}: {m} → {n}"
                );
            }
            if m < n {
                // Another earlier root, or the sizes swapped, do not verify.
                assert!(!verify_consistency(m, n, &flip(&rm, 1), &rn, &p));
                assert!(!verify_consistency(n, m, &rn, &rm, &p));
                if m > 0 {
                    // (Every tree extends the empty one, whatever its root.)
                    assert!(!verify_consistency(m, n, &rm, &flip(&rn, 1), &p));
                    let rm1 = tree.root(m - 1);
                    assert!(!verify_consistency(m - 1, n, &rm1, &rn, &p), "{m}-1 → {n}");
                }
            }
        }
    }
}

#[test]
fn stored_nodes_are_few_and_enough() {
    // What the store reads for a proof: at most two nodes per level.
    let all = leaves(1000);
    let tree = MemoryTree::from_leaves(all.iter().copied());
    for (m, n) in [
        (0u64, 1000u64),
        (999, 1000),
        (517, 1000),
        (3, 600),
        (511, 512),
    ] {
        let ranges = inclusion_ranges(m, n);
        let needed = nodes_for(&ranges);
        assert!(
            needed.len() <= 2 * 64 - n.leading_zeros() as usize * 2,
            "{needed:?}"
        );
        let map: std::collections::HashMap<NodeId, Hash> = needed
            .iter()
            .map(|id| (*id, tree.get(*id).unwrap()))
            .collect();
        let p = hashes_of(&ranges, &|id| map.get(&id).copied()).unwrap();
        assert_eq!(p, tree.inclusion(m, n));
        let mut root_nodes = nodes_for(&[(0, n)]);
        root_nodes.retain(|id| !map.contains_key(id));
        let _ = root_nodes;
    }
    assert_eq!(append_needs(0), vec![]);
    assert_eq!(
        append_needs(7),
        vec![
            NodeId { level: 0, index: 6 },
            NodeId { level: 1, index: 2 },
            NodeId { level: 2, index: 0 }
        ]
    );
    // A missing node is named, not guessed.
    assert_eq!(
        range_hash(0, 3, &|_| None),
        Err(MissingNode(NodeId { level: 1, index: 0 }))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn larger_trees_prove_inclusion_and_consistency(n in 1u64..1500, m_seed in any::<u64>(), first_seed in any::<u64>()) {
        let all = leaves(n as usize);
        let tree = MemoryTree::from_leaves(all.iter().copied());
        let m = m_seed % n;
        let root = tree.root(n);
        prop_assert_eq!(root, mth(&all));
        let p = tree.inclusion(m, n);
        prop_assert_eq!(root_from_inclusion(&all[m as usize], m, n, &p), Some(root));
        let first = first_seed % (n + 1);
        let c = tree.consistency(first, n);
        prop_assert!(verify_consistency(first, n, &tree.root(first), &root, &c));
        if !c.is_empty() {
            let mut q = c.clone();
            let k = (m_seed as usize) % q.len();
            q[k] = flip(&q[k], 5);
            prop_assert!(!verify_consistency(first, n, &tree.root(first), &root, &q));
        }
    }
}

// ---- Documents ----

fn doc_of(files: &[Vec<u8>], k: usize, key: &SigningKey) -> ProofDocument {
    let entries: Vec<Entry> = files
        .iter()
        .enumerate()
        .map(|(i, f)| Entry {
            sha256: sha256(f),
            size: f.len() as u64,
            media_type: sniff(f).unwrap(),
            appended_at: example::time((i % 10) as u32),
        })
        .collect();
    let tree = MemoryTree::from_leaves(entries.iter().map(Entry::leaf_hash));
    let n = tree.len();
    ProofDocument {
        format: PROOF_FORMAT.into(),
        entry: entries[k].clone(),
        leaf_index: k as u64,
        tree_size: n,
        audit_path: tree.inclusion(k as u64, n),
        checkpoint: Checkpoint {
            origin: "test/evidence".into(),
            tree_size: n,
            root_hash: tree.root(n),
            timestamp: example::time(9),
        }
        .sign(key),
    }
}

fn png(body: &[u8]) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend(body);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_alteration_of_file_or_proof_fails(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..12),
        pick in any::<usize>(),
        byte in any::<usize>(),
        bit in 0usize..256,
        seed in any::<[u8; 32]>(),
    ) {
        let files: Vec<Vec<u8>> = bodies.iter().enumerate().map(|(i, b)| {
            let mut b = b.clone();
            b.extend(format!("#{i}").as_bytes()); // distinct files
            png(&b)
        }).collect();
        let key = SigningKey::from_bytes(&seed);
        let k = pick % files.len();
        let file = &files[k];
        let doc = doc_of(&files, k, &key);
        let s = verify(file, &doc).unwrap();
        prop_assert_eq!(s.leaf_index, k as u64);
        prop_assert_eq!(s.tree_size, files.len() as u64);
        prop_assert_eq!(verify_with_key(file, &doc, Some(&PublicKey(key.verifying_key()))).map(|s| s.sha256), Ok(sha256(file)));

        // One byte of the file.
        let mut f2 = file.clone();
        let i = byte % f2.len();
        f2[i] ^= 1 << (bit % 8);
        let is_file_hash = matches!(verify(&f2, &doc), Err(Mismatch::FileHash { .. }));
        prop_assert!(is_file_hash);

        // One bit of an audit path node.
        if !doc.audit_path.is_empty() {
            let mut d = doc.clone();
            let j = byte % d.audit_path.len();
            d.audit_path[j] = flip(&d.audit_path[j], bit);
            let is_inclusion = matches!(verify(file, &d), Err(Mismatch::Inclusion { .. }));
            prop_assert!(is_inclusion);
        }
        // The index.
        let mut d = doc.clone();
        d.leaf_index = (k as u64 + 1 + (byte as u64 % files.len() as u64)) % (files.len() as u64 + 1);
        if d.leaf_index != k as u64 {
            prop_assert!(verify(file, &d).is_err());
        }
        // The tree size, in the proof or in the checkpoint.
        let mut d = doc.clone();
        d.tree_size += 1;
        let is_size = matches!(verify(file, &d), Err(Mismatch::TreeSize { .. }));
        prop_assert!(is_size);
        let mut d = doc.clone();
        d.checkpoint.checkpoint.tree_size += 1;
        let is_sig = matches!(verify(file, &d), Err(Mismatch::Signature { .. }));
        prop_assert!(is_sig);
        // The root, the time, the origin.
        let mut d = doc.clone();
        d.checkpoint.checkpoint.root_hash = flip(&d.checkpoint.checkpoint.root_hash, bit);
        let is_sig = matches!(verify(file, &d), Err(Mismatch::Signature { .. }));
        prop_assert!(is_sig);
        let mut d = doc.clone();
        d.checkpoint.checkpoint.origin.push('x');
        let m = matches!(verify(file, &d), Err(Mismatch::Signature { .. }));
        prop_assert!(m);
        // The signature.
        let mut d = doc.clone();
        d.checkpoint.signature.0[byte % 64] ^= 1 << (bit % 8);
        let m = matches!(verify(file, &d), Err(Mismatch::Signature { .. }));
        prop_assert!(m);
        // Another key: the signature fails; a trusted key set: named as untrusted.
        let other = SigningKey::from_bytes(&sha256(&seed).0);
        let mut d = doc.clone();
        d.checkpoint.public_key = PublicKey(other.verifying_key());
        let m = matches!(verify(file, &d), Err(Mismatch::Signature { .. }));
        prop_assert!(m);
        let is_untrusted = matches!(
            verify_with_key(file, &doc, Some(&PublicKey(other.verifying_key()))),
            Err(Mismatch::UntrustedKey { .. })
        );
        prop_assert!(is_untrusted);
        // A checkpoint re-signed by another key over an altered root: verifies as a signature,
        // fails as inclusion; with the trusted key named, fails as untrusted.
        let mut d = doc.clone();
        let mut c = d.checkpoint.checkpoint.clone();
        c.root_hash = flip(&c.root_hash, bit);
        d.checkpoint = c.sign(&other);
        let m = matches!(verify(file, &d), Err(Mismatch::Inclusion { .. }));
        prop_assert!(m);
        // The entry's time (part of the leaf).
        let mut d = doc.clone();
        d.entry.appended_at = example::time(8);
        if d.entry != doc.entry {
            let m = matches!(verify(file, &d), Err(Mismatch::Inclusion { .. }));
        prop_assert!(m);
        }
    }
}

#[test]
fn checkpoints_show_that_the_log_only_grew() {
    let key = example::key();
    let all = leaves(9);
    let tree = MemoryTree::from_leaves(all.iter().copied());
    let cp = |n: u64| {
        Checkpoint {
            origin: "o".into(),
            tree_size: n,
            root_hash: tree.root(n),
            timestamp: example::time(n as u32),
        }
        .sign(&key)
    };
    let good = ConsistencyProof {
        format: CONSISTENCY_FORMAT.into(),
        first: cp(3),
        second: cp(9),
        path: tree.consistency(3, 9),
    };
    assert_eq!(good.verify(), Ok(()));
    let back =
        ConsistencyProof::from_json(serde_json::to_string(&good).unwrap().as_bytes()).unwrap();
    assert_eq!(back, good);
    // A rewritten history: the same size, another leaf 1.
    let mut forged = all.clone();
    forged[1] = leaf_hash(b"rewritten");
    let ft = MemoryTree::from_leaves(forged);
    let mut bad = good.clone();
    bad.second = Checkpoint {
        origin: "o".into(),
        tree_size: 9,
        root_hash: ft.root(9),
        timestamp: example::time(9),
    }
    .sign(&key);
    bad.path = ft.consistency(3, 9);
    assert_eq!(
        bad.verify(),
        Err(Mismatch::Consistency {
            first: 3,
            second: 9
        })
    );
    let mut bad = good.clone();
    bad.first.checkpoint.root_hash = flip(&bad.first.checkpoint.root_hash, 0);
    assert!(matches!(bad.verify(), Err(Mismatch::Signature { .. })));
}

#[test]
fn documents_round_trip_and_bad_values_are_named_by_path() {
    let doc = example::proof(1);
    let json = doc.to_json_pretty();
    assert_eq!(ProofDocument::from_json(json.as_bytes()).unwrap(), doc);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let path_of = |v: &serde_json::Value| {
        ProofDocument::from_json(v.to_string().as_bytes())
            .unwrap_err()
            .path
    };
    let mut w = v.clone();
    w["checkpoint"]["signature"] = "zz".into();
    assert_eq!(path_of(&w), "checkpoint.signature");
    let mut w = v.clone();
    w["audit_path"][1] = "abc".into();
    assert_eq!(path_of(&w), "audit_path[1]");
    let mut w = v.clone();
    w["entry"]["appended_at"] = "2026-12-06T08:01:00Z".into();
    assert_eq!(path_of(&w), "entry.appended_at");
    let mut w = v.clone();
    w["entry"]["media_type"] = "image/gif".into();
    assert_eq!(path_of(&w), "entry.media_type");
    let mut w = v.clone();
    w["checkpoint"]
        .as_object_mut()
        .unwrap()
        .remove("public_key");
    assert_eq!(path_of(&w), "checkpoint.public_key");
    let mut w = v.clone();
    w["checkpoint"]["public_key"] = "00".repeat(31).into();
    assert_eq!(path_of(&w), "checkpoint.public_key");
    let mut w = v.clone();
    w.as_object_mut().unwrap().remove("leaf_index");
    assert_eq!(path_of(&w), "leaf_index");
    let mut w = v.clone();
    w["format"] = "lianjian-evidence-proof/9".into();
    assert_eq!(path_of(&w), "format");
    assert_eq!(ProofDocument::from_json(b"not json").unwrap_err().path, ".");
}

/// The verifier reads exactly what `docs/evidence.md` allows: no unknown field inside the
/// checkpoint, lower-case hex only, and an origin that could have been signed.
#[test]
fn proofs_read_only_the_documented_form() {
    let v: serde_json::Value = serde_json::from_str(&example::proof(1).to_json_pretty()).unwrap();
    let refused = |w: &serde_json::Value| ProofDocument::from_json(w.to_string().as_bytes());

    let mut w = v.clone();
    w["checkpoint"]["note"] = "extra".into();
    let e = refused(&w).unwrap_err();
    assert!(e.path.starts_with("checkpoint"), "{e}");
    assert!(e.message.contains("unknown field"), "{e}");

    for field in ["root_hash", "signature", "public_key"] {
        let mut w = v.clone();
        let upper = w["checkpoint"][field].as_str().unwrap().to_uppercase();
        w["checkpoint"][field] = upper.into();
        let e = refused(&w).unwrap_err();
        assert!(e.message.contains("lower-case"), "{field}: {e}");
    }
    let mut w = v.clone();
    let upper = w["entry"]["sha256"].as_str().unwrap().to_uppercase();
    w["entry"]["sha256"] = upper.into();
    assert_eq!(refused(&w).unwrap_err().path, "entry.sha256");
    let mut w = v.clone();
    let upper = w["audit_path"][0].as_str().unwrap().to_uppercase();
    w["audit_path"][0] = upper.into();
    assert_eq!(refused(&w).unwrap_err().path, "audit_path[0]");

    for origin in [
        " example.lianjian/evidence",
        "a\u{7}b",
        "",
        &"x".repeat(129),
    ] {
        let mut w = v.clone();
        w["checkpoint"]["origin"] = origin.into();
        let e = refused(&w).unwrap_err();
        assert!(e.path.starts_with("checkpoint"), "{origin:?}: {e}");
        assert!(e.message.contains("origin"), "{origin:?}: {e}");
    }
    // The documented form itself still reads.
    assert!(refused(&v).is_ok());
}

#[test]
fn timestamps_have_one_form() {
    let t = Timestamp::parse("2026-12-06T08:00:00.000001Z").unwrap();
    assert_eq!(t.to_string(), "2026-12-06T08:00:00.000001Z");
    assert!(Timestamp::parse("2026-12-06T08:00:00Z").is_err());
    assert!(Timestamp::parse("2026-12-06T16:00:00.000000+08:00").is_err());
    assert!(Timestamp::parse("2026-12-06T08:00:00.0000001Z").is_err());
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T08:00:00.123456789Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        Timestamp::new(now).to_string(),
        "2026-12-06T08:00:00.123456Z"
    );
}

// ---- Upload checks ----

#[test]
fn sniffing_recognises_the_allowed_types_only() {
    assert_eq!(sniff(b"\xff\xd8\xff\xe0rest"), Some(MediaType::Jpeg));
    assert_eq!(sniff(&png(b"x")), Some(MediaType::Png));
    assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(MediaType::Webp));
    assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
    assert_eq!(sniff(b"%PDF-1.4\n"), Some(MediaType::Pdf));
    let ftyp = |major: &[u8; 4], compat: &[&[u8; 4]]| {
        let size = 16 + 4 * compat.len();
        let mut v = (size as u32).to_be_bytes().to_vec();
        v.extend(b"ftyp");
        v.extend(major);
        v.extend([0, 0, 0, 0]);
        for c in compat {
            v.extend(*c);
        }
        v.extend(b"\0\0\0\x08meta");
        v
    };
    assert_eq!(sniff(&ftyp(b"heic", &[b"mif1"])), Some(MediaType::Heic));
    assert_eq!(sniff(&ftyp(b"mif1", &[b"heic"])), Some(MediaType::Heic));
    assert_eq!(sniff(&ftyp(b"mif1", &[b"miaf"])), Some(MediaType::Heif));
    assert_eq!(sniff(&ftyp(b"isom", &[b"mp41"])), None); // MP4 video
    assert_eq!(sniff(&ftyp(b"avif", &[b"mif1"])), None);
    assert_eq!(sniff(b"GIF89a"), None);
    assert_eq!(sniff(b"MZ\x90\0"), None); // a Windows executable
    assert_eq!(sniff(b"PK\x03\x04"), None); // zip, docx
    assert_eq!(sniff(b""), None);
    for m in MediaType::ALL {
        assert_eq!(MediaType::parse(m.as_str()), Some(m));
    }
}

#[test]
fn uploads_over_the_limit_or_of_a_forbidden_type_are_named() {
    let photo = png(&[7u8; 100]);
    assert_eq!(
        check_upload("现场照片.png", Some("image/png"), &photo, 1024),
        Ok(MediaType::Png)
    );
    assert_eq!(
        check_upload("现场照片.png", None, &photo, 1024),
        Ok(MediaType::Png)
    );
    assert_eq!(
        check_upload("a.bin", Some("application/octet-stream"), &photo, 1024),
        Ok(MediaType::Png)
    );
    assert_eq!(
        check_upload("a.jpg", Some("image/JPG; q=1"), b"\xff\xd8\xff\xdb", 1024),
        Ok(MediaType::Jpeg)
    );

    let e = check_upload("C:\\相册\\大照片.png", None, &png(&[0u8; 2000]), 1024).unwrap_err();
    assert_eq!(e.code, "file_too_large");
    assert!(
        e.zh.contains("大照片.png") && e.zh.contains("2008 字节") && e.zh.contains("1024 字节"),
        "{}",
        e.zh
    );
    assert!(
        e.en.contains("2008 bytes") && e.en.contains("1 KiB"),
        "{}",
        e.en
    );

    let e = check_upload(
        "病毒.exe",
        Some("application/x-msdownload"),
        b"MZ\x90\0\x03",
        1024,
    )
    .unwrap_err();
    assert_eq!(e.code, "forbidden_type");
    assert!(
        e.zh.contains("病毒.exe") && e.zh.contains("4D 5A 90 00"),
        "{}",
        e.zh
    );
    assert!(e.zh.contains("PDF"), "{}", e.zh);

    let e = check_upload("x.pdf", Some("application/pdf"), &photo, 1024).unwrap_err();
    assert_eq!(e.code, "type_mismatch");
    assert!(
        e.en.contains("application/pdf") && e.en.contains("image/png"),
        "{}",
        e.en
    );
    let e = check_upload("x.txt", Some("text/plain"), &photo, 1024).unwrap_err();
    assert_eq!(e.code, "type_mismatch");

    assert_eq!(
        check_upload("e.png", None, b"", 1024).unwrap_err().code,
        "empty_file"
    );
    assert_eq!(media::filename(" a/b/现场.jpg ").unwrap(), "现场.jpg");
    assert!(media::filename("a/").is_err());
    assert!(media::filename("a\u{7}.jpg").is_err());
    assert_eq!(media::human_size(10 * 1024 * 1024), "10 MiB");
    assert_eq!(media::human_size(1536 * 1024), "1.5 MiB");
}

// ---- The worked example of docs/evidence.md ----
// The constants were checked with an independent implementation (Python's hashlib and the
// `cryptography` package's Ed25519), as docs/evidence.md shows.

#[test]
fn worked_example() {
    let entries = example::entries();
    assert_eq!(
        String::from_utf8(entries[0].leaf()).unwrap(),
        format!(
            "lianjian-evidence-leaf/1\t{}\t23\timage/png\t2026-12-06T08:00:00.000000Z\n",
            entries[0].sha256
        )
    );
    let tree = example::tree();
    let cp = example::checkpoint();
    let text = String::from_utf8(cp.checkpoint.signed_bytes()).unwrap();
    assert_eq!(
        text,
        format!(
            "lianjian-evidence-checkpoint/1\nexample.lianjian/evidence\n3\n{}\n2026-12-06T08:05:00.000000Z\n",
            tree.root(3)
        )
    );
    let files = example::files();
    for (k, file) in files.iter().enumerate() {
        let s = verify(file, &example::proof(k)).unwrap();
        assert_eq!(s.leaf_index, k as u64);
        assert_eq!(s.key_fingerprint, cp.public_key.fingerprint());
    }
    // The numbers the document quotes.
    let pinned = [
        ("file 0 sha256", entries[0].sha256.to_hex(), EX_FILE0),
        ("leaf 0 hash", entries[0].leaf_hash().to_hex(), EX_LEAF0),
        ("leaf 1 hash", entries[1].leaf_hash().to_hex(), EX_LEAF1),
        ("leaf 2 hash", entries[2].leaf_hash().to_hex(), EX_LEAF2),
        (
            "node 0..2",
            tree.get(NodeId { level: 1, index: 0 }).unwrap().to_hex(),
            EX_NODE01,
        ),
        ("root", tree.root(3).to_hex(), EX_ROOT),
        ("public key", cp.public_key.to_hex(), EX_PUBLIC_KEY),
        ("signature", cp.signature.to_hex(), EX_SIGNATURE),
    ];
    let mut wrong = Vec::new();
    for (what, got, want) in pinned {
        if got != want {
            wrong.push(format!("{what}: {got}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "update docs/evidence.md and the constants:\n{}\n{}",
        wrong.join("\n"),
        example::proof(0).to_json_pretty()
    );
    // docs/evidence.md quotes the proof of file 0 exactly as it is written.
    let doc = include_str!("../../../../docs/evidence.md");
    assert!(
        doc.contains(&example::proof(0).to_json_pretty()),
        "docs/evidence.md must quote:\n{}",
        example::proof(0).to_json_pretty()
    );
    assert_eq!(
        example::proof(0).audit_path,
        vec![entries[1].leaf_hash(), entries[2].leaf_hash()]
    );
    assert_eq!(
        example::proof(2).audit_path,
        vec![tree.get(NodeId { level: 1, index: 0 }).unwrap()]
    );
}

const EX_FILE0: &str = "0c60b83e68b4b05ddb2c755251a1f07fa21f5bef655b8019968e84689b11ea79";
const EX_LEAF0: &str = "0eae075b813d719c25ad9834efe2fb092a05d76d2030420321c8cf6059fe174e";
const EX_LEAF1: &str = "e3cb50e895d2cc0fac1adf90f8a690e59b77be9e056c4b65ce633834a3c1bfd0";
const EX_LEAF2: &str = "f8ccae2f7ea5929838174d403562ad3f96cc8bc583f0feda627d8ece1d8d2868";
const EX_NODE01: &str = "daf6672d4d53b075255f0f69975fb5cf8f6feda1459e68989511d087b5e4f552";
const EX_ROOT: &str = "97d9e224f8542d78cf4e661a5b52616d621a4e56dc6d7b0126d2a000c38d3fea";
const EX_PUBLIC_KEY: &str = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const EX_SIGNATURE: &str = "72893726e768661b81b243918cb76c7e027b2c98a5eabcd459c76bb4094438b0bfb4e1c44f0bc2535656c0862f31e7aa21523dacd621aa33a7d8c6b6408fdc04";
