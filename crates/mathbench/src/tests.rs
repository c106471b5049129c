use super::*;

/// Each workload's checksum for one iteration, worked out independently of lendmath
/// (Python `decimal`, 40 digits, half-up to the cent), as the comments show.
///
/// Schedule: payment = pmt(0.06875/12, 360, -250000) = 1642.3237... -> $1,642.32; stepping
/// the balance with interest = round(balance × 0.06875/12) and principal = payment -
/// interest (the last installment takes the rest, $1,644.74) gives
/// * Σ payments = $591,237.62 (59_123_762),
/// * Σ balances after each installment = $59,311,482.49 (5_931_148_249),
/// * finance charge = Σ interest = $341,237.62 (34_123_762).
const SCHEDULE_360_ONE: i64 = 59_123_762 + 5_931_148_249 + 34_123_762;

/// 187,654.32 × 0.06875 / 365 = 35.3458... -> $35.35.
const DAILY_ACCRUAL_ONE: i64 = 35_35;

/// $3,500.00 through the standard waterfall: fees past due 82.12 (×1), interest past due
/// 1,432.29 (×2), principal past due 210.03 (×3), fees current nothing (not applied),
/// interest current 1,431.09 (×5), principal current 211.23 (×6); 133.24 left (×7).
const ALLOCATION_ONE: i64 =
    82_12 + 2 * 1_432_29 + 3 * 210_03 + 5 * 1_431_09 + 6 * 211_23 + 7 * 133_24;

/// 12,000.00 at 9.99 % over 60 months from 2026-12-02, each period's rate 0.0999 × its
/// actual days / 365: payment = 12000 / Σ_k Π_{j≤k} 1/(1+r_j) = 254.94; stepping the
/// balance (interest rounded half-up) leaves a final payment of 255.08; Σ payments
/// 15,296.54; finance charge 15,296.54 − (12,000.00 − 300.00) = 3,596.54.
const DISCLOSURE_60_ONE: i64 = 15_296_54 + 255_08 + 3_596_54;

fn expected_one(workload: Workload) -> i64 {
    match workload {
        Workload::Schedule360 => SCHEDULE_360_ONE,
        Workload::DailyAccrual => DAILY_ACCRUAL_ONE,
        Workload::Allocation => ALLOCATION_ONE,
        Workload::Disclosure60 => DISCLOSURE_60_ONE,
    }
}

#[test]
fn one_iteration_matches_the_independent_figures() {
    for workload in Workload::ALL {
        assert_eq!(run(workload, 1), expected_one(workload), "{workload}");
    }
}

#[test]
fn checksums_scale_linearly_with_iterations() {
    for workload in Workload::ALL {
        for iterations in [0, 2, 7, 100] {
            assert_eq!(
                run(workload, iterations),
                i64::from(iterations) * expected_one(workload),
                "{workload} × {iterations}"
            );
        }
    }
}

#[test]
fn the_inputs_are_what_the_docs_say() {
    let schedule = schedule::build_schedule(&mortgage_terms()).unwrap();
    assert_eq!(schedule.installments.len(), 360);
    assert_eq!(schedule.payment_regular, usd(1_642_32));
    assert_eq!(schedule.installments[359].payment, usd(1_644_74));
    // Installments 1 and 2 are the dues of the allocation workload.
    let [first, second] = [schedule.installments[0], schedule.installments[1]];
    assert_eq!(
        (first.interest, first.principal),
        (usd(1_432_29), usd(210_03))
    );
    assert_eq!(
        (second.interest, second.principal),
        (usd(1_431_09), usd(211_23))
    );

    let allocation = allocation::allocate(
        usd(3_500_00),
        &AllocationInput::one_behind().dues,
        &Waterfall::standard(),
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(allocation.excess, usd(133_24));
    assert!(allocation.dues_after.total().unwrap().is_zero());
}

#[test]
fn names_round_trip_and_unknown_names_are_refused() {
    for workload in Workload::ALL {
        assert_eq!(workload.to_string().parse::<Workload>(), Ok(workload));
    }
    let error = "schedule".parse::<Workload>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown workload \"schedule\"; expected one of schedule-360, daily-accrual, allocation, disclosure-60"
    );
    assert!("".parse::<Workload>().is_err());
    assert!("Schedule-360".parse::<Workload>().is_err());
}
