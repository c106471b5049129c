use super::*;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

const GRID: PricingGrid = PricingGrid {
    terms: &[36, 60],
    rows: &[(700, &["0.0799", "0.0899"]), (600, &["0.1499", "0.1599"])],
};

#[test]
fn grids_price_by_band_and_term_and_refuse_what_they_do_not_cover() {
    assert_eq!(GRID.rate(750, 24), Some(d("0.0799")));
    assert_eq!(GRID.rate(700, 37), Some(d("0.0899")));
    assert_eq!(GRID.rate(699, 36), Some(d("0.1499")));
    assert_eq!(GRID.rate(599, 36), None, "below the last band");
    assert_eq!(GRID.rate(750, 61), None, "beyond the last column");
}

#[test]
fn reasons_keep_their_order_once_each_and_at_most_four() {
    let r = |code| Reason { code, text: "t" };
    let mut reasons = Reasons::default();
    for code in ["a", "b", "a", "c", "d", "e"] {
        reasons.push(r(code));
    }
    let codes: Vec<&str> = reasons.list().iter().map(|r| r.code).collect();
    assert_eq!(codes, ["a", "b", "c", "d"]);
}

#[test]
fn offers_are_sized_to_the_affordable_payment() {
    // 10,000 at 12 % over 36 months quotes 332.14: affordable, so offered as asked.
    let asked = size_offer(
        d("10000"),
        d("50000"),
        d("1000"),
        d("332.14"),
        d("0.12"),
        36,
        d("100"),
    )
    .unwrap();
    assert_eq!(
        (asked.amount, asked.payment, asked.reduced),
        (d("10000"), d("332.14"), false)
    );
    // 250 a month affords 7,527.xx: offered 7,500, quoting 249.11.
    let reduced = size_offer(
        d("10000"),
        d("50000"),
        d("1000"),
        d("250"),
        d("0.12"),
        36,
        d("100"),
    )
    .unwrap();
    assert_eq!(
        (reduced.amount, reduced.payment, reduced.reduced),
        (d("7500"), d("249.11"), true)
    );
    // A cap below the request (e.g. half the income) wins too.
    let capped = size_offer(
        d("10000"),
        d("6000"),
        d("1000"),
        d("500"),
        d("0.12"),
        36,
        d("100"),
    )
    .unwrap();
    assert_eq!((capped.amount, capped.limit), (d("6000"), Limit::Cap));
    assert_eq!(asked.limit, Limit::None);
    // Below the product's minimum: no offer.
    assert_eq!(
        size_offer(
            d("10000"),
            d("50000"),
            d("1000"),
            d("20"),
            d("0.12"),
            36,
            d("100")
        ),
        None
    );
}

#[test]
fn texts_are_written_as_the_contract_says() {
    assert_eq!(money_text(d("12000")), "12000.00");
    assert_eq!(money_text(d("0.125")), "0.13");
    assert_eq!(rate_text(d("0.12")), "0.1200");
    assert_eq!(decimal(" 0.36 "), Some(d("0.36")));
    assert_eq!(decimal("abc"), None);
}
