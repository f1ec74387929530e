//! A set of the index as a draw's candidates (抽取对象): read straight from the bitmap by the
//! draw's selection, so that a pool of millions is never written out as a list.

use lianjian_domain::draw::Candidates;
use roaring::RoaringBitmap;

use crate::DirectoryIndex;

/// The members of a set as a draw's candidates, for `lianjian_domain::draw::select_strata`:
/// candidate `i` is the `i`-th member in ascending credit-code order (docs/draw-algorithm.md),
/// its stratum its credit class (0–3 for A–D, 4 not graded). The members are expected to be
/// live entities (as every evaluated directory is).
///
/// While the index's number order is credit-code order ([`DirectoryIndex::is_usci_ordered`])
/// each selection thread reads its range of candidates straight from the bitmap, and a
/// candidate's id is its entity number (numbers then increase with the candidate index, as
/// ids must); otherwise the set is sorted once and ids are positions in that order.
/// [`Self::numbers_of`] turns selected ids into entity numbers either way.
pub struct PoolCandidates<'a> {
    ix: &'a DirectoryIndex,
    set: &'a RoaringBitmap,
    /// The members in credit-code order, when number order is not.
    sorted: Option<Vec<u32>>,
}

impl DirectoryIndex {
    /// `set` as a draw's candidates.
    pub fn draw_candidates<'a>(&'a self, set: &'a RoaringBitmap) -> PoolCandidates<'a> {
        PoolCandidates {
            ix: self,
            set,
            sorted: (!self.usci_ordered).then(|| self.in_usci_order(set)),
        }
    }
}

impl PoolCandidates<'_> {
    /// Candidates per stratum, from bitmap intersections (no pass over the members).
    pub fn counts(&self) -> [u64; 5] {
        std::array::from_fn(|h| self.set.intersection_len(&self.ix.credit_bm[h]))
    }

    /// The entity numbers of selected ids, in the same order (in place).
    pub fn numbers_of(&self, mut ids: Vec<u32>) -> Vec<u32> {
        if let Some(sorted) = &self.sorted {
            for id in &mut ids {
                *id = sorted[*id as usize];
            }
        }
        ids
    }

    fn stratum(&self, n: u32) -> u8 {
        self.ix.meta[n as usize].credit_ix() as u8
    }
}

impl Candidates for PoolCandidates<'_> {
    fn count(&self) -> usize {
        self.set.len() as usize
    }

    fn reader(&self, start: usize) -> impl FnMut(&mut [u8], &mut [u32]) {
        let mut at = start;
        let mut members = match self.sorted {
            Some(_) => None,
            None => self
                .set
                .select(start as u32)
                .map(|first| self.set.range(first..)),
        };
        move |strata: &mut [u8], ids: &mut [u32]| {
            match (&self.sorted, members.as_mut()) {
                (Some(sorted), _) => {
                    for (k, (h, id)) in strata.iter_mut().zip(ids.iter_mut()).enumerate() {
                        *id = (at + k) as u32;
                        *h = self.stratum(sorted[at + k]);
                    }
                }
                (None, Some(members)) => {
                    // Container by container (`next_many`): several times faster than one
                    // `next` per member.
                    let mut filled = 0;
                    while filled < ids.len() {
                        let got = members.next_many(&mut ids[filled..]).len();
                        assert!(got > 0, "reads stay within the set");
                        filled += got;
                    }
                    for (h, &n) in strata.iter_mut().zip(ids.iter()) {
                        *h = self.stratum(n);
                    }
                }
                (None, None) => assert!(ids.is_empty(), "reads stay within the set"),
            }
            at += ids.len();
        }
    }
}
