//! Inspectors for every visit (随机选派执法检查人员, 国办发〔2023〕1号 (九); 鲁 task 12): a
//! deterministic greedy procedure, easy to reimplement, that never relaxes a rule. If a rule
//! cannot be met the draw fails and says which, where and how many people are short.
//!
//! Per visit, in ascending credit-code order: (1) holders of each plan's missing
//! qualifications, from that plan's lead department; (2) one officer of every involved
//! department not yet represented; (3) officers of the lead plan's department until the team
//! has max(2, inspectors per visit of its plans); (4) the experts its plans ask for. Every pick
//! skips inspectors already in the team, with a declared conflict with the entity, or who were
//! at its previous visit, and takes the fewest visits so far (workload before the draw plus
//! visits in this draw), ties broken by the next word of the tie-break stream.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use uuid::Uuid;

use super::Bytes32;
use super::prn::{PrnStream, TIEBREAK_STREAM};
use super::record::{Candidate, DepartmentRef, DrawInput, InspectorKind, Visit};
use crate::usci::Usci;

/// A rule of the assignment that cannot be met. `code` is stable: `missing_qualification`
/// 缺少资格, `insufficient_inspectors` 人员不足, `all_conflicted` 全部存在利益冲突 (everyone left
/// has a conflict or was at the previous visit), `insufficient_experts` 专家不足.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DrawFailure {
    pub code: &'static str,
    /// The visit (entity) that could not be staffed.
    pub usci: Usci,
    /// The department short of people; none for experts.
    pub department: Option<DepartmentRef>,
    pub qualification: Option<String>,
    /// How many more people the rule needed.
    pub short: u32,
    pub message: String,
    pub message_en: String,
}

impl fmt::Display for DrawFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.message_en)
    }
}

impl std::error::Error for DrawFailure {}

/// Why nobody could be picked.
enum Lack {
    /// No one of the kind asked for is left (outside the team).
    Nobody,
    /// Some are, but each has a declared conflict or was at the previous visit.
    Excluded { conflicted: u32, previous: u32 },
}

struct Assigner<'a> {
    input: &'a DrawInput,
    /// One word per pick.
    tie: PrnStream,
    /// Workload before the draw plus visits assigned so far.
    load: Vec<u64>,
    /// Reused buffer of the eligible inspectors of a pick.
    open: Vec<u32>,
}

impl Assigner<'_> {
    /// The eligible inspector in `from` (ascending) satisfying `want` with the fewest visits so
    /// far. Every pick takes the next word `w` of the tie-break stream; of the `k` tied
    /// inspectors, in ascending index order, it takes the one at position `w mod k`.
    fn pick(
        &mut self,
        from: &[u32],
        team: &[u32],
        c: &Candidate,
        want: impl Fn(u32) -> bool,
    ) -> Result<u32, Lack> {
        let w = self.tie.next().expect("the stream is endless");
        let open = &mut self.open;
        open.clear();
        let (mut any, mut conflicted, mut previous) = (false, 0, 0);
        for &j in from {
            if team.contains(&j) || !want(j) {
                continue;
            }
            let x = &self.input.inspectors[j as usize];
            any = true;
            if x.conflicts_with(&c.usci) {
                conflicted += 1;
            } else if c.was_previous(&x.certificate) {
                previous += 1;
            } else {
                open.push(j);
            }
        }
        let Some(min) = open.iter().map(|&j| self.load[j as usize]).min() else {
            return Err(if any {
                Lack::Excluded {
                    conflicted,
                    previous,
                }
            } else {
                Lack::Nobody
            });
        };
        open.retain(|&j| self.load[j as usize] == min);
        Ok(open[(w % open.len() as u64) as usize])
    }
}

fn failure(
    usci: &Usci,
    department: Option<&DepartmentRef>,
    qualification: Option<&str>,
    short: u32,
    lack: Lack,
) -> DrawFailure {
    let dept_zh = department.map_or("专家库".to_string(), |d| d.name.clone());
    let dept_en = department.map_or("the expert pool".to_string(), |d| d.name.clone());
    let (code, message, message_en) = match (lack, qualification, department) {
        (Lack::Nobody, Some(q), _) => (
            "missing_qualification",
            format!(
                "对象 {usci} 的检查缺少资格“{q}”：{dept_zh}没有其他具备该资格的在岗执法人员，缺 {short} 人"
            ),
            format!(
                "visit to {usci}: qualification '{q}' missing: {dept_en} has no other active officer holding it ({short} short)"
            ),
        ),
        (Lack::Nobody, None, Some(_)) => (
            "insufficient_inspectors",
            format!("对象 {usci} 的检查人员不足：{dept_zh}还缺 {short} 名在岗执法人员"),
            format!("visit to {usci}: not enough officers: {dept_en} is {short} short"),
        ),
        (Lack::Nobody, None, None) => (
            "insufficient_experts",
            format!("对象 {usci} 的检查专家不足：还缺 {short} 名专家"),
            format!("visit to {usci}: not enough experts: {short} short"),
        ),
        (
            Lack::Excluded {
                conflicted,
                previous,
            },
            q,
            _,
        ) => {
            let n = conflicted + previous;
            let (q_zh, q_en) = q.map_or((String::new(), String::new()), |q| {
                (format!("具备资格“{q}”的"), format!(" holding '{q}'"))
            });
            (
                "all_conflicted",
                format!(
                    "对象 {usci} 的检查：{dept_zh}{q_zh}可选的 {n} 人全部存在利益冲突或参加过该对象上次检查（申报利益冲突 {conflicted} 人，上次检查 {previous} 人），缺 {short} 人"
                ),
                format!(
                    "visit to {usci}: all {n} candidates{q_en} of {dept_en} have a declared conflict of interest or inspected it last time ({conflicted} conflicts, {previous} previous), {short} short"
                ),
            )
        }
    };
    DrawFailure {
        code,
        usci: usci.clone(),
        department: department.cloned(),
        qualification: qualification.map(str::to_string),
        short,
        message,
        message_en,
    }
}

/// Staffs `visits` (ascending by credit code; `at[v]` is the candidate index of visit `v`).
// A failure ends the draw and is reported once; its size does not matter.
#[allow(clippy::result_large_err)]
pub(super) fn assign(
    input: &DrawInput,
    key: &Bytes32,
    at: &[u32],
    visits: &mut [Visit],
) -> Result<(), DrawFailure> {
    let mut officers: HashMap<Uuid, Vec<u32>> = HashMap::new();
    let mut experts = Vec::new();
    for (j, x) in input.inspectors.iter().enumerate() {
        match x.kind {
            InspectorKind::Officer => officers.entry(x.department_id).or_default().push(j as u32),
            InspectorKind::Expert => experts.push(j as u32),
        }
    }
    let mut a = Assigner {
        input,
        tie: PrnStream::starting_at(key, TIEBREAK_STREAM, 0),
        load: input
            .inspectors
            .iter()
            .map(|x| u64::from(x.workload))
            .collect(),
        open: Vec::new(),
    };
    let none: Vec<u32> = Vec::new();
    // Who holds each required qualification, looked up by position rather than by string
    // comparison: `holders[plan][k][j]` for the plan's `k`-th qualification and inspector `j`.
    let holders: Vec<Vec<Vec<bool>>> = input
        .plans
        .iter()
        .map(|p| {
            p.qualifications
                .iter()
                .map(|q| input.inspectors.iter().map(|x| x.holds(q)).collect())
                .collect()
        })
        .collect();

    for (v, visit) in visits.iter_mut().enumerate() {
        let c = &input.candidates[at[v] as usize];
        let plans: Vec<_> = visit
            .plans
            .iter()
            .map(|&p| &input.plans[p as usize])
            .collect();
        let mut team: Vec<u32> = Vec::new();

        // (1) Qualifications, per plan in index order and qualification in sorted order.
        for (&pi, p) in visit.plans.iter().zip(&plans) {
            let d = &p.lead_department;
            for (q, holds) in p.qualifications.iter().zip(&holders[pi as usize]) {
                let covered = team.iter().any(|&j| {
                    holds[j as usize] && input.inspectors[j as usize].department_id == d.id
                });
                if covered {
                    continue;
                }
                let from = officers.get(&d.id).unwrap_or(&none);
                let j = a
                    .pick(from, &team, c, |j| holds[j as usize])
                    .map_err(|l| failure(&c.usci, Some(d), Some(q), 1, l))?;
                team.push(j);
            }
        }

        // (2) One officer of every involved department, in ascending department id.
        let mut departments: Vec<&DepartmentRef> = plans
            .iter()
            .flat_map(|p| p.involved_departments.iter())
            .collect();
        departments.sort_by_key(|d| d.id);
        departments.dedup_by_key(|d| d.id);
        for d in departments {
            let represented = team
                .iter()
                .any(|&j| input.inspectors[j as usize].department_id == d.id);
            if represented {
                continue;
            }
            let from = officers.get(&d.id).unwrap_or(&none);
            let j = a
                .pick(from, &team, c, |_| true)
                .map_err(|l| failure(&c.usci, Some(d), None, 1, l))?;
            team.push(j);
        }

        // (3) Fill up from the lead plan's department.
        let need = plans
            .iter()
            .map(|p| usize::from(p.inspectors_per_visit))
            .max()
            .unwrap_or(0)
            .max(2);
        let lead = &input.plans[visit.lead_plan as usize].lead_department;
        let from = officers.get(&lead.id).unwrap_or(&none);
        while team.len() < need {
            let short = (need - team.len()) as u32;
            let j = a
                .pick(from, &team, c, |_| true)
                .map_err(|l| failure(&c.usci, Some(lead), None, short, l))?;
            team.push(j);
        }

        // (4) Experts, from the whole expert pool.
        let need_experts = plans
            .iter()
            .map(|p| usize::from(p.experts_per_visit))
            .max()
            .unwrap_or(0);
        let mut panel: Vec<u32> = Vec::new();
        let from = &experts;
        while panel.len() < need_experts {
            let short = (need_experts - panel.len()) as u32;
            let j = a
                .pick(from, &panel, c, |_| true)
                .map_err(|l| failure(&c.usci, None, None, short, l))?;
            panel.push(j);
        }

        for &j in team.iter().chain(&panel) {
            a.load[j as usize] += 1;
        }
        team.sort_unstable();
        panel.sort_unstable();
        let cert = |j: &u32| input.inspectors[*j as usize].certificate.clone();
        visit.inspectors = team.iter().map(cert).collect();
        visit.experts = panel.iter().map(cert).collect();
    }
    Ok(())
}
