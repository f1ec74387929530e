//! Times `draw::select_strata` alone on a synthetic pool shaped like the bench's largest
//! (7.6 M candidates; classes A 30 %, B 45 %, C 15 %, D 5 %, not graded 5 %).
use std::time::Instant;

use lianjian_domain::draw::{Bytes32, Numbers, PlanStrata, prns, quota, select_strata};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(7_605_666, |a| a.parse().unwrap());
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let strata: Vec<u8> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 100 {
                0..30 => 0,
                30..75 => 1,
                75..90 => 2,
                90..95 => 3,
                _ => 4,
            }
        })
        .collect();
    let mut counts = [0u64; 5];
    for &h in &strata {
        counts[h as usize] += 1;
    }
    let pm = [30, 100, 300, 700, 100];
    let quotas: [u64; 5] = std::array::from_fn(|h| quota(counts[h], pm[h]));
    let key = Bytes32([7; 32]);
    let computed = std::env::args().nth(2).is_some_and(|a| a == "computed");
    let u = if computed { prns(&key, n) } else { Vec::new() };
    for _ in 0..7 {
        let t = Instant::now();
        let sel = select_strata(
            if computed {
                Numbers::Computed(&u)
            } else {
                Numbers::Key(&key)
            },
            &PlanStrata {
                candidates: strata.as_slice(),
                weights: None,
                quotas,
                mass: counts,
            },
        );
        let e = t.elapsed();
        println!(
            "{n} candidates, {} picked: {:.1} ms",
            sel.iter().map(Vec::len).sum::<usize>(),
            e.as_secs_f64() * 1e3
        );
    }
}
