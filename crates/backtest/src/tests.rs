use super::*;
use proptest::prelude::*;

fn reason(code: &str) -> Reason {
    Reason {
        code: code.into(),
        text: format!("text of {code}"),
    }
}

fn answer(outcome: &str, reasons: &[&str], offer: Option<(&str, &str)>) -> Answer {
    Answer {
        policy: None,
        outcome: outcome.into(),
        reasons: reasons.iter().map(|c| reason(c)).collect(),
        offers: offer
            .map(|(amount, rate)| Offer {
                amount: amount.into(),
                term_months: 36,
                annual_rate: rate.into(),
                origination_fee: "0.00".into(),
            })
            .into_iter()
            .collect(),
        counter_offer: None,
    }
}

fn pair(n: usize, champion: Answer, challenger: Answer) -> Pair {
    Pair {
        decision_id: format!("dec_{n}"),
        application_id: format!("app_{n}"),
        decided_at: "2026-12-01T10:00:00Z".into(),
        champion,
        challenger,
    }
}

fn sample() -> Vec<Pair> {
    vec![
        // Unchanged approval.
        pair(
            1,
            answer("approve", &[], Some(("10000.00", "0.1299"))),
            answer("approve", &[], Some(("10000.00", "0.1299"))),
        ),
        // Approval repriced: same outcome, not identical.
        pair(
            2,
            answer("approve", &[], Some(("5000.00", "0.0999"))),
            answer("approve", &[], Some(("4000.00", "0.1499"))),
        ),
        // Approval declined.
        pair(
            3,
            answer("approve", &[], Some(("7000.00", "0.1100"))),
            answer("decline", &["score-too-low"], None),
        ),
        // Referral approved.
        pair(
            4,
            answer("refer", &["thin-file"], None),
            answer("approve", &[], Some(("2500.00", "0.2000"))),
        ),
        // Unchanged decline.
        pair(
            5,
            answer("decline", &["score-too-low", "dti-too-high"], None),
            answer("decline", &["score-too-low", "dti-too-high"], None),
        ),
    ]
}

#[test]
fn a_report_counts_outcomes_swaps_reasons_and_moves_exactly() {
    let mut comparison = Comparison::default();
    for p in &sample() {
        comparison.add(p);
    }
    let report = comparison.report();
    assert_eq!((report.decisions, report.identical), (5, 2));
    assert_eq!(
        report.champion,
        Side {
            approve: 3,
            refer: 1,
            decline: 1,
            approval_rate: "0.6000".into(),
            // (0.1299 + 0.0999 + 0.1100) / 3 = 0.11326…
            average_rate: Some("0.1133".into()),
            // (10000 + 5000 + 7000) / 3 = 7333.333…
            average_amount: Some("7333.33".into()),
        }
    );
    assert_eq!(
        report.challenger,
        Side {
            approve: 3,
            refer: 0,
            decline: 2,
            approval_rate: "0.6000".into(),
            // (0.1299 + 0.1499 + 0.2000) / 3 = 0.15993…
            average_rate: Some("0.1599".into()),
            // (10000 + 4000 + 2500) / 3 = 5500
            average_amount: Some("5500.00".into()),
        }
    );
    let cell = |from: &str, to: &str| {
        report
            .swap_matrix
            .iter()
            .find(|s| s.from == from && s.to == to)
            .unwrap()
            .count
    };
    assert_eq!(report.swap_matrix.len(), 9);
    assert_eq!(cell("approve", "approve"), 2);
    assert_eq!(cell("approve", "decline"), 1);
    assert_eq!(cell("refer", "approve"), 1);
    assert_eq!(cell("decline", "decline"), 1);
    assert_eq!(report.swap_matrix.iter().map(|s| s.count).sum::<u64>(), 5);
    // score-too-low: 1 → 2 (+1); thin-file: 1 → 0 (−1); dti-too-high unchanged (not listed).
    assert_eq!(
        report
            .reasons_changed
            .iter()
            .map(|r| (r.code.as_str(), r.champion, r.challenger, r.change))
            .collect::<Vec<_>>(),
        vec![("score-too-low", 1, 2, 1), ("thin-file", 1, 0, -1)]
    );
    assert_eq!(report.reasons_changed[0].text, "text of score-too-low");
    assert_eq!(report.moved_total, 2);
    assert_eq!(
        report
            .moved
            .iter()
            .map(|m| (m.application_id.as_str(), m.from.as_str(), m.to.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("app_3", "approve", "decline"),
            ("app_4", "refer", "approve")
        ]
    );
    assert_eq!(report.moved[0].reason.as_deref(), Some("score-too-low"));
}

#[test]
fn nothing_compared_reports_zero_rates_and_no_averages() {
    let report = Comparison::default().report();
    assert_eq!(report.champion.approval_rate, "0.0000");
    assert_eq!(report.challenger.average_rate, None);
    assert!(report.swap_matrix.iter().all(|s| s.count == 0));
}

#[test]
fn the_moved_list_is_bounded_but_the_count_is_not() {
    let mut comparison = Comparison::default();
    for n in 0..MOVED_LISTED + 7 {
        comparison.add(&pair(
            n,
            answer("approve", &[], Some(("1000.00", "0.1000"))),
            answer("decline", &["x"], None),
        ));
    }
    let report = comparison.report();
    assert_eq!(report.moved.len(), MOVED_LISTED);
    assert_eq!(report.moved_total, (MOVED_LISTED + 7) as u64);
}

fn arbitrary_answer() -> impl Strategy<Value = Answer> {
    (
        0..3usize,
        proptest::collection::vec(0..5usize, 0..4),
        1..100_000u32,
        1..3000u32,
    )
        .prop_map(|(outcome, reasons, cents, bp)| {
            let outcome = OUTCOMES[outcome];
            let codes: Vec<String> = reasons.iter().map(|r| format!("r{r}")).collect();
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let amount = format!("{}.{:02}", cents / 100, cents % 100);
            let rate = format!("0.{bp:04}");
            let offer = (outcome == "approve").then_some((amount.as_str(), rate.as_str()));
            answer(outcome, &codes, offer)
        })
}

proptest! {
    /// Pages merged give the report of the whole, wherever the pages are cut.
    #[test]
    fn merged_pages_report_what_the_whole_reports(
        answers in proptest::collection::vec((arbitrary_answer(), arbitrary_answer()), 0..60),
        cuts in proptest::collection::vec(0..60usize, 0..5),
    ) {
        let pairs: Vec<Pair> = answers
            .into_iter()
            .enumerate()
            .map(|(n, (a, b))| pair(n, a, b))
            .collect();
        let mut whole = Comparison::default();
        for p in &pairs {
            whole.add(p);
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(pairs.len())).collect();
        cuts.push(0);
        cuts.push(pairs.len());
        cuts.sort_unstable();
        let mut merged = Comparison::default();
        for window in cuts.windows(2) {
            let mut page = Comparison::default();
            for p in &pairs[window[0]..window[1]] {
                page.add(p);
            }
            merged.merge(page);
        }
        prop_assert_eq!(merged.report(), whole.report());
    }
}
