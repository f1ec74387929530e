//! The Merkle tree of RFC 6962 §2.1 / RFC 9162 §2.1 (Certificate Transparency), over SHA-256:
//! leaf hash `SHA-256(0x00 ‖ leaf)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, the root of `n`
//! leaves split at the largest power of two below `n`. Inclusion proofs (RFC 9162 §2.1.3) and
//! consistency proofs (§2.1.4) are generated as lists of leaf *ranges* whose subtree hashes
//! make up the proof; each range decomposes into at most 64 complete subtrees ([`NodeId`]),
//! which is what the store keeps, so a proof needs O(log n) stored hashes and no leaf scan.
//!
//! Pure: hashes come from a caller's lookup function, so the same code serves the store (one
//! query for the nodes named by [`nodes_for`]), tests (every node in memory) and verifiers.

use sha2::{Digest, Sha256};

use crate::draw::Bytes32;

/// A SHA-256 value.
pub type Hash = Bytes32;

/// `SHA-256(0x00 ‖ leaf)` (RFC 9162 §2.1.1): the domain-separation byte keeps a leaf from
/// ever being taken for an inner node.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    Bytes32(h.finalize().into())
}

/// `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Bytes32(h.finalize().into())
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Bytes32(Sha256::digest([]).into())
}

/// The largest power of two strictly smaller than `n` (`n ≥ 2`): where RFC 9162 splits.
pub fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// A complete subtree: the `2^level` leaves from `index · 2^level`. Level 0 are leaf hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }

    /// First leaf covered and number of leaves.
    pub fn span(self) -> (u64, u64) {
        (self.index << self.level, 1u64 << self.level)
    }
}

/// A node a lookup did not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingNode(pub NodeId);

impl std::fmt::Display for MissingNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Merkle node (level {}, index {}) is missing",
            self.0.level, self.0.index
        )
    }
}

impl std::error::Error for MissingNode {}

/// The complete subtrees whose hashes make up `MTH(D[a:b])` (`a < b`), in the order
/// [`range_hash`] reads them.
pub fn range_nodes(a: u64, b: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    range_nodes_into(a, b, &mut out);
    out
}

fn range_nodes_into(a: u64, b: u64, out: &mut Vec<NodeId>) {
    let n = b - a;
    if n.is_power_of_two() && a.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        out.push(NodeId {
            level,
            index: a >> level,
        });
        return;
    }
    let k = split(n);
    range_nodes_into(a, a + k, out);
    range_nodes_into(a + k, b, out);
}

/// `MTH(D[a:b])` for `a < b`, from the hashes of complete subtrees.
pub fn range_hash(
    a: u64,
    b: u64,
    get: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Hash, MissingNode> {
    let n = b - a;
    if n.is_power_of_two() && a.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        let id = NodeId {
            level,
            index: a >> level,
        };
        return get(id).ok_or(MissingNode(id));
    }
    let k = split(n);
    let left = range_hash(a, a + k, get)?;
    let right = range_hash(a + k, b, get)?;
    Ok(node_hash(&left, &right))
}

/// The root of the first `n` leaves (`MTH(D[0:n])`; the empty root for 0).
pub fn root(n: u64, get: &impl Fn(NodeId) -> Option<Hash>) -> Result<Hash, MissingNode> {
    if n == 0 {
        Ok(empty_root())
    } else {
        range_hash(0, n, get)
    }
}

/// The ranges of RFC 9162's `PATH(m, D[n])`, leaf side first (the order of the audit path).
/// Empty when `m ≥ n`.
pub fn inclusion_ranges(m: u64, n: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if m < n {
        path_into(m, 0, n, &mut out);
    }
    out
}

fn path_into(m: u64, a: u64, b: u64, out: &mut Vec<(u64, u64)>) {
    if b - a <= 1 {
        return;
    }
    let k = split(b - a);
    if m < a + k {
        path_into(m, a, a + k, out);
        out.push((a + k, b));
    } else {
        path_into(m, a + k, b, out);
        out.push((a, a + k));
    }
}

/// The ranges of RFC 9162's consistency proof `PROOF(m, D[n])`. Empty when `m = 0` or `m ≥ n`
/// (nothing to prove).
pub fn consistency_ranges(m: u64, n: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if m > 0 && m < n {
        subproof_into(m, 0, n, true, &mut out);
    }
    out
}

fn subproof_into(m: u64, a: u64, b: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    let n = b - a;
    if m == n {
        if !whole {
            out.push((a, b));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof_into(m, a, a + k, whole, out);
        out.push((a + k, b));
    } else {
        subproof_into(m - k, a + k, b, false, out);
        out.push((a, a + k));
    }
}

/// Every complete subtree a set of ranges needs, sorted and without repeats: what the store
/// reads in one query before building proofs with [`hashes_of`].
pub fn nodes_for(ranges: &[(u64, u64)]) -> Vec<NodeId> {
    let mut v: Vec<NodeId> = ranges
        .iter()
        .flat_map(|&(a, b)| range_nodes(a, b))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The hashes of `ranges`, in order.
pub fn hashes_of(
    ranges: &[(u64, u64)],
    get: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, MissingNode> {
    ranges.iter().map(|&(a, b)| range_hash(a, b, get)).collect()
}

/// The left siblings appending leaf `index` combines with: what the store reads before
/// [`append`].
pub fn append_needs(index: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let (mut level, mut i) = (0u8, index);
    while i & 1 == 1 {
        out.push(NodeId {
            level,
            index: i - 1,
        });
        level += 1;
        i >>= 1;
    }
    out
}

/// The complete subtrees that appending leaf `index` with hash `leaf` completes: the leaf
/// itself and each parent whose right child it finishes.
pub fn append(
    index: u64,
    leaf: Hash,
    get: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<(NodeId, Hash)>, MissingNode> {
    let mut out = vec![(NodeId::leaf(index), leaf)];
    let (mut level, mut i, mut h) = (0u8, index, leaf);
    while i & 1 == 1 {
        let id = NodeId {
            level,
            index: i - 1,
        };
        let left = get(id).ok_or(MissingNode(id))?;
        h = node_hash(&left, &h);
        level += 1;
        i >>= 1;
        out.push((NodeId { level, index: i }, h));
    }
    Ok(out)
}

/// RFC 9162 §2.1.3.2: the root that leaf `index` of a tree of `size` leaves and its audit
/// path lead to; `None` when the index is out of range or the path has the wrong length.
pub fn root_from_inclusion(leaf: &Hash, index: u64, size: u64, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// RFC 9162 §2.1.4.2: whether `path` proves that the tree of `second` leaves with root
/// `second_root` extends the tree of `first` leaves with root `first_root`. The trivial
/// cases: every tree extends the empty one (empty path), and a tree extends itself (equal
/// roots, empty path).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == 0 {
        return path.is_empty() && *first_root == empty_root();
    }
    if first == second {
        return path.is_empty() && first_root == second_root;
    }
    if path.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = path.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *first_root && sr == *second_root && snode == 0
}

/// Every complete subtree of a list of leaf hashes, level by level: the in-memory tree of
/// tests and examples.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Self::new();
        for l in leaves {
            t.push(l);
        }
        t
    }

    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash through [`append`], as the store does.
    pub fn push(&mut self, leaf: Hash) {
        let index = self.len();
        let nodes = append(index, leaf, &|id| self.get(id)).expect("left siblings are complete");
        for (id, h) in nodes {
            let l = id.level as usize;
            if self.levels.len() <= l {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[l].len() as u64, id.index);
            self.levels[l].push(h);
        }
    }

    pub fn get(&self, id: NodeId) -> Option<Hash> {
        self.levels
            .get(id.level as usize)
            .and_then(|l| l.get(id.index as usize))
            .copied()
    }

    /// The root of the first `n` leaves.
    pub fn root(&self, n: u64) -> Hash {
        root(n, &|id| self.get(id)).expect("n ≤ len")
    }

    pub fn inclusion(&self, m: u64, n: u64) -> Vec<Hash> {
        hashes_of(&inclusion_ranges(m, n), &|id| self.get(id)).expect("n ≤ len")
    }

    pub fn consistency(&self, m: u64, n: u64) -> Vec<Hash> {
        hashes_of(&consistency_ranges(m, n), &|id| self.get(id)).expect("n ≤ len")
    }
}
