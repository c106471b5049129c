//! The calculator contract: JSON request and response types and pure functions behind the
//! schedule and APR calculators. The CLI and HTTP wrappers only move bytes: they call
//! `parse_*_request`, then [`schedule()`] or [`apr()`], and map a [`CalcError`] to an RFC 9457
//! problem (HTTP 422, or a non-zero CLI exit) listing its [`FieldError`]s.
//!
//! Decimals travel as JSON strings ("8.5", "125.40") so no client float rounds them.
//!
//! ```
//! let request = lendmath::calc::parse_schedule_request(br#"{
//!     "principal": "1000.00", "annual_rate": "12", "term": 3, "frequency": "monthly",
//!     "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"
//! }"#).unwrap();
//! let response = lendmath::calc::schedule(&request).unwrap();
//! assert_eq!(response.payment, "340.02");
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::daycount::DayCount;
use crate::frequency::Frequency;
use crate::money::{Currency, Money};
use crate::rate::AnnualRate;
use crate::schedule::{self, AmortizationMethod, Fee, LoanTerms, ScheduleError};
use crate::tila::{self, AprError, ScheduledPayment, UnitPeriod};

/// Largest request body accepted, in bytes. The largest valid request (an APR stream of
/// [`tila::APR_PAYMENTS_MAX`] payments at ~60 bytes each) is about 130 KB.
pub const REQUEST_BYTES_MAX: usize = 256 * 1024;

/// Most field errors reported at once; more are summarized, so a hostile request cannot
/// make the error response huge.
pub const FIELD_ERRORS_MAX: usize = 50;

/// One problem with one request field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where: a field name or path such as `principal` or `payments[2].date`; empty for
    /// the request as a whole.
    pub field: String,
    /// What is wrong, safe to show the client.
    pub message: String,
}

/// A rejected request: a summary and every field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{summary}")]
pub struct CalcError {
    /// One sentence for the problem's `detail`.
    pub summary: String,
    /// The fields at fault, at most [`FIELD_ERRORS_MAX`].
    pub errors: Vec<FieldError>,
}

impl CalcError {
    fn fields(errors: Vec<FieldError>) -> CalcError {
        let summary = match errors.len() {
            1 => "the request has 1 invalid field".to_string(),
            n => format!("the request has {n} invalid fields"),
        };
        CalcError { summary, errors }
    }

    fn one(field: &str, message: impl Into<String>) -> CalcError {
        CalcError::fields(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
    }
}

/// A fee in a schedule request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRequest {
    /// The fee, a decimal string in the loan's currency.
    pub amount: String,
    /// True when added to the loan; false when paid at closing.
    pub financed: bool,
}

/// Request for an amortization schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRequest {
    /// Amount disbursed, a decimal string ("25000.00").
    pub principal: String,
    /// Nominal annual rate in percent, a decimal string ("8.5").
    pub annual_rate: String,
    /// Number of installments.
    pub term: u32,
    /// Installment frequency.
    pub frequency: Frequency,
    /// Disbursement date.
    pub start_date: NaiveDate,
    /// First due date; one regular period after `start_date` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_payment_date: Option<NaiveDate>,
    /// Day-count convention.
    pub day_count: DayCount,
    /// Repayment method.
    pub method: AmortizationMethod,
    /// Origination fees.
    #[serde(default)]
    pub fees: Vec<FeeRequest>,
    /// ISO 4217 currency; USD when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// One installment in a schedule response; amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentResponse {
    /// 1-based position.
    pub number: u32,
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount due.
    pub payment: String,
    /// Principal portion.
    pub principal: String,
    /// Interest portion.
    pub interest: String,
    /// Principal balance after the installment.
    pub balance: String,
}

/// An amortization schedule with its disclosure figures; amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleResponse {
    /// Currency of every amount.
    pub currency: Currency,
    /// The regular installment.
    pub payment: String,
    /// Principal plus financed fees.
    pub note_amount: String,
    /// Every installment.
    pub installments: Vec<InstallmentResponse>,
    /// Sum of interest portions.
    pub total_interest: String,
    /// Sum of all payments.
    pub total_of_payments: String,
    /// Amount financed (12 CFR 1026.18(b)).
    pub amount_financed: String,
    /// Finance charge (12 CFR 1026.18(d)).
    pub finance_charge: String,
    /// APR in percent, two decimals, as disclosed.
    pub apr: String,
}

/// One payment of an explicit APR stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Due date.
    pub date: NaiveDate,
    /// Amount, a decimal string.
    pub amount: String,
}

/// Request for an APR: an explicit `payments` list, or a regular stream given by
/// `payment_amount`, `payment_count`, `frequency` and `first_payment_date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AprRequest {
    /// Amount financed, a decimal string.
    pub amount_financed: String,
    /// Date of the single advance.
    pub advance_date: NaiveDate,
    /// Explicit payment stream, in date order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<PaymentRequest>>,
    /// Regular stream: amount of each payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount: Option<String>,
    /// Regular stream: number of payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_count: Option<u32>,
    /// Regular stream: frequency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// Regular stream: first due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_payment_date: Option<NaiveDate>,
    /// ISO 4217 currency; USD when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// The APR of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AprResponse {
    /// APR in percent rounded to two decimals, as disclosed ("9.69").
    pub apr: String,
    /// APR in percent with eight decimals.
    pub apr_exact: String,
    /// The unit period ("month", "semimonth", "week", "255 days").
    pub unit_period: String,
    /// Odd days before the first payment, beyond full unit periods.
    pub odd_days: u32,
    /// Full unit periods before the first payment.
    pub full_unit_periods: u32,
}

const SCHEDULE_FIELDS: &[&str] = &[
    "principal",
    "annual_rate",
    "term",
    "frequency",
    "start_date",
    "first_payment_date",
    "day_count",
    "method",
    "fees",
    "currency",
];

const APR_FIELDS: &[&str] = &[
    "amount_financed",
    "advance_date",
    "payments",
    "payment_amount",
    "payment_count",
    "frequency",
    "first_payment_date",
    "currency",
];

/// Parses a schedule request, naming every field that is missing or malformed.
pub fn parse_schedule_request(json: &[u8]) -> Result<ScheduleRequest, CalcError> {
    let object = parse_object(json)?;
    let mut fields = Fields::new(&object, SCHEDULE_FIELDS);
    let principal = fields.string("principal", true);
    let annual_rate = fields.string("annual_rate", true);
    let term = fields.count("term", true);
    let frequency = fields.code("frequency", true, Frequency::from_code, FREQUENCY_CODES);
    let start_date = fields.date("start_date", true);
    let first_payment_date = fields.date("first_payment_date", false);
    let day_count = fields.code("day_count", true, DayCount::from_code, DAY_COUNT_CODES);
    let method = fields.code("method", true, method_from_code, METHOD_CODES);
    let fees = fields.fees("fees");
    let currency = fields.currency("currency");
    fields.finish()?;
    match (
        principal,
        annual_rate,
        term,
        frequency,
        start_date,
        day_count,
        method,
    ) {
        (
            Some(principal),
            Some(annual_rate),
            Some(term),
            Some(frequency),
            Some(start_date),
            Some(day_count),
            Some(method),
        ) => Ok(ScheduleRequest {
            principal,
            annual_rate,
            term,
            frequency,
            start_date,
            first_payment_date,
            day_count,
            method,
            fees,
            currency,
        }),
        _ => Err(CalcError::one("", "the request is incomplete")),
    }
}

/// Parses an APR request, naming every field that is missing or malformed.
pub fn parse_apr_request(json: &[u8]) -> Result<AprRequest, CalcError> {
    let object = parse_object(json)?;
    let mut fields = Fields::new(&object, APR_FIELDS);
    let amount_financed = fields.string("amount_financed", true);
    let advance_date = fields.date("advance_date", true);
    let payments = fields.payments("payments");
    let payment_amount = fields.string("payment_amount", false);
    let payment_count = fields.count("payment_count", false);
    let frequency = fields.code("frequency", false, Frequency::from_code, FREQUENCY_CODES);
    let first_payment_date = fields.date("first_payment_date", false);
    let currency = fields.currency("currency");
    fields.finish()?;
    match (amount_financed, advance_date) {
        (Some(amount_financed), Some(advance_date)) => Ok(AprRequest {
            amount_financed,
            advance_date,
            payments,
            payment_amount,
            payment_count,
            frequency,
            first_payment_date,
            currency,
        }),
        _ => Err(CalcError::one("", "the request is incomplete")),
    }
}

/// Builds the schedule a request describes.
pub fn schedule(request: &ScheduleRequest) -> Result<ScheduleResponse, CalcError> {
    let currency = request.currency.unwrap_or(Currency::USD);
    let mut errors = Vec::new();
    let principal = money_field(&request.principal, currency, "principal", &mut errors);
    let annual_rate = match AnnualRate::parse_percent(&request.annual_rate) {
        Ok(rate) => Some(rate),
        Err(error) => {
            push(&mut errors, "annual_rate", error.to_string());
            None
        }
    };
    if request.fees.len() > schedule::FEES_MAX {
        push(
            &mut errors,
            "fees",
            format!("at most {} fees are supported", schedule::FEES_MAX),
        );
    }
    let mut fees = Vec::new();
    for (index, fee) in request.fees.iter().enumerate().take(schedule::FEES_MAX) {
        let field = format!("fees[{index}].amount");
        if let Some(amount) = money_field(&fee.amount, currency, &field, &mut errors) {
            fees.push(Fee {
                amount,
                financed: fee.financed,
            });
        }
    }
    // The rules of the terms are checked even when the principal or the rate did not parse
    // (with placeholders that break none of them), so every failing field is listed at once.
    let terms = LoanTerms {
        principal: principal.unwrap_or(Money::from_minor(1, currency)),
        annual_rate: annual_rate.unwrap_or(AnnualRate::ZERO),
        term_installments: request.term,
        frequency: request.frequency,
        start_date: request.start_date,
        first_payment_date: request.first_payment_date,
        day_count: request.day_count,
        method: request.method,
        fees,
    };
    for error in schedule::check_terms(&terms) {
        // A placeholder principal stands for one that did not parse: its error is there.
        let placeholder = principal.is_none();
        if !(placeholder && matches!(error, ScheduleError::FeesExceedPrincipal)) {
            let problem = schedule_error(error);
            errors.extend(problem.errors);
        }
    }
    if principal.is_none() || annual_rate.is_none() || !errors.is_empty() {
        return Err(CalcError::fields(errors));
    }
    let built = schedule::build_schedule(&terms).map_err(schedule_error)?;
    let text = |money: Money| money.to_decimal_string();
    Ok(ScheduleResponse {
        currency,
        payment: text(built.payment_regular),
        note_amount: text(built.note_amount),
        installments: built
            .installments
            .iter()
            .map(|i| InstallmentResponse {
                number: i.number,
                due_date: i.due_date,
                payment: text(i.payment),
                principal: text(i.principal),
                interest: text(i.interest),
                balance: text(i.balance),
            })
            .collect(),
        total_interest: text(built.total_interest),
        total_of_payments: text(built.tila.total_of_payments),
        amount_financed: text(built.tila.amount_financed),
        finance_charge: text(built.tila.finance_charge),
        apr: built.tila.apr.apr_percent_disclosed.to_string(),
    })
}

/// Computes the APR a request describes.
pub fn apr(request: &AprRequest) -> Result<AprResponse, CalcError> {
    let currency = request.currency.unwrap_or(Currency::USD);
    let mut errors = Vec::new();
    let amount_financed = money_field(
        &request.amount_financed,
        currency,
        "amount_financed",
        &mut errors,
    );
    let regular_given = request.payment_amount.is_some()
        || request.payment_count.is_some()
        || request.frequency.is_some()
        || request.first_payment_date.is_some();
    let (payments, unit_period) = match (&request.payments, regular_given) {
        (Some(_), true) => {
            push(
                &mut errors,
                "payments",
                "give either payments or a regular stream, not both",
            );
            (Vec::new(), None)
        }
        (Some(list), false) => explicit_stream(list, request.advance_date, currency, &mut errors),
        (None, true) => regular_stream(request, currency, &mut errors),
        (None, false) => {
            push(
                &mut errors,
                "payments",
                "give payments, or payment_amount, payment_count, frequency and first_payment_date",
            );
            (Vec::new(), None)
        }
    };
    // The stream's own rules are checked even when the amount financed did not parse (with a
    // placeholder that breaks none of them), so every failing field is listed at once.
    if !payments.is_empty() {
        let placeholder = amount_financed.is_none();
        let amount = amount_financed.unwrap_or(Money::from_minor(1, currency));
        for error in tila::check_apr_inputs(amount, request.advance_date, &payments) {
            if !(placeholder && matches!(error, AprError::PaymentsBelowAmountFinanced)) {
                errors.extend(apr_error(error).errors);
            }
        }
    }
    let (Some(amount_financed), Some(unit_period), true) =
        (amount_financed, unit_period, errors.is_empty())
    else {
        return Err(CalcError::fields(errors));
    };
    let result = tila::annual_percentage_rate(
        amount_financed,
        request.advance_date,
        &payments,
        unit_period,
    )
    .map_err(apr_error)?;
    Ok(AprResponse {
        apr: result.apr_percent_disclosed.to_string(),
        apr_exact: result.apr_percent_exact.to_string(),
        unit_period: result.unit_period.name(),
        odd_days: result.odd_days,
        full_unit_periods: result.full_unit_periods_first,
    })
}

fn explicit_stream(
    list: &[PaymentRequest],
    advance_date: NaiveDate,
    currency: Currency,
    errors: &mut Vec<FieldError>,
) -> (Vec<ScheduledPayment>, Option<UnitPeriod>) {
    if list.is_empty() {
        push(errors, "payments", "must list at least one payment");
        return (Vec::new(), None);
    }
    if list.len() > tila::APR_PAYMENTS_MAX {
        push(
            errors,
            "payments",
            format!("must list at most {} payments", tila::APR_PAYMENTS_MAX),
        );
        return (Vec::new(), None);
    }
    let mut payments = Vec::with_capacity(list.len());
    for (index, payment) in list.iter().enumerate() {
        let field = format!("payments[{index}].amount");
        if let Some(amount) = money_field(&payment.amount, currency, &field, errors) {
            payments.push(ScheduledPayment {
                date: payment.date,
                amount,
            });
        }
    }
    let unit = tila::infer_unit_period(advance_date, &payments);
    (payments, Some(unit))
}

fn regular_stream(
    request: &AprRequest,
    currency: Currency,
    errors: &mut Vec<FieldError>,
) -> (Vec<ScheduledPayment>, Option<UnitPeriod>) {
    let amount = match &request.payment_amount {
        Some(text) => money_field(text, currency, "payment_amount", errors),
        None => {
            push(errors, "payment_amount", "is required for a regular stream");
            None
        }
    };
    let count = match request.payment_count {
        Some(0) => {
            push(errors, "payment_count", "must be at least 1");
            None
        }
        Some(n) if n as usize > tila::APR_PAYMENTS_MAX => {
            push(
                errors,
                "payment_count",
                format!("must not exceed {}", tila::APR_PAYMENTS_MAX),
            );
            None
        }
        Some(n) => Some(n),
        None => {
            push(errors, "payment_count", "is required for a regular stream");
            None
        }
    };
    if request.frequency.is_none() {
        push(errors, "frequency", "is required for a regular stream");
    }
    if request.first_payment_date.is_none() {
        push(
            errors,
            "first_payment_date",
            "is required for a regular stream",
        );
    }
    let (Some(amount), Some(count), Some(frequency), Some(first)) =
        (amount, count, request.frequency, request.first_payment_date)
    else {
        return (Vec::new(), None);
    };
    let mut payments = Vec::with_capacity(count as usize);
    for index in 0..count {
        match frequency.due_date(first, index) {
            Some(date) => payments.push(ScheduledPayment { date, amount }),
            None => {
                push(
                    errors,
                    "payment_count",
                    "the stream runs past the last supported date",
                );
                return (Vec::new(), None);
            }
        }
    }
    (payments, Some(UnitPeriod::of_frequency(frequency)))
}

fn money_field(
    text: &str,
    currency: Currency,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Money> {
    match Money::parse(text, currency) {
        Ok(money) => Some(money),
        Err(error) => {
            push(errors, field, error.to_string());
            None
        }
    }
}

fn push(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    if errors.len() < FIELD_ERRORS_MAX {
        errors.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }
}

fn schedule_error(error: ScheduleError) -> CalcError {
    let field = match &error {
        ScheduleError::PrincipalNotPositive | ScheduleError::PrincipalTooLarge => {
            "principal".to_string()
        }
        ScheduleError::TermZero | ScheduleError::TermTooLong | ScheduleError::DateOutOfRange => {
            "term".to_string()
        }
        ScheduleError::TooManyFees | ScheduleError::FeesExceedPrincipal => "fees".to_string(),
        ScheduleError::FeeInvalid { index } => format!("fees[{index}].amount"),
        ScheduleError::FirstPaymentNotAfterStart | ScheduleError::FirstPeriodTooLong => {
            "first_payment_date".to_string()
        }
        ScheduleError::Money(_) | ScheduleError::Apr(_) => String::new(),
    };
    CalcError::one(&field, error.to_string())
}

fn apr_error(error: AprError) -> CalcError {
    let field = match &error {
        AprError::AmountFinancedNotPositive | AprError::PaymentsBelowAmountFinanced => {
            "amount_financed".to_string()
        }
        AprError::PaymentNegative { index } => format!("payments[{index}].amount"),
        AprError::PaymentBeforeAdvance { index } | AprError::PaymentsOutOfOrder { index } => {
            format!("payments[{index}].date")
        }
        AprError::NoPayments | AprError::TooManyPayments => "payments".to_string(),
        AprError::RateOutOfRange | AprError::NoConvergence | AprError::Money(_) => String::new(),
    };
    CalcError::one(&field, error.to_string())
}

const FREQUENCY_CODES: &str = "weekly, biweekly, semi_monthly, monthly, quarterly, annually";
const DAY_COUNT_CODES: &str = "30/360, 30E/360, actual/360, actual/365, actual/actual";
const METHOD_CODES: &str = "level_payment, level_principal, interest_only";

fn method_from_code(code: &str) -> Option<AmortizationMethod> {
    match code {
        "level_payment" => Some(AmortizationMethod::LevelPayment),
        "level_principal" => Some(AmortizationMethod::LevelPrincipal),
        "interest_only" => Some(AmortizationMethod::InterestOnly),
        _ => None,
    }
}

fn parse_object(json: &[u8]) -> Result<Map<String, Value>, CalcError> {
    if json.len() > REQUEST_BYTES_MAX {
        return Err(CalcError::one(
            "",
            format!("the request is larger than {REQUEST_BYTES_MAX} bytes"),
        ));
    }
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(CalcError::one("", "the request must be a JSON object")),
        Err(error) => Err(CalcError::one(
            "",
            format!(
                "the request is not valid JSON (line {}, column {})",
                error.line(),
                error.column()
            ),
        )),
    }
}

/// Reads fields of a JSON object one by one, collecting an error per bad field.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Value>, known: &[&str]) -> Fields<'a> {
        let mut fields = Fields {
            object,
            errors: Vec::new(),
        };
        for name in object.keys() {
            if !known.contains(&name.as_str()) {
                let shown: String = name.chars().take(40).collect();
                fields.error(&shown, "is not a known field");
            }
        }
        fields
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        push(&mut self.errors, field, message);
    }

    fn finish(self) -> Result<(), CalcError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(CalcError::fields(self.errors))
        }
    }

    fn value(&mut self, name: &str, required: bool) -> Option<&'a Value> {
        match self.object.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.error(name, "is required");
                }
                None
            }
            Some(value) => Some(value),
        }
    }

    fn string(&mut self, name: &str, required: bool) -> Option<String> {
        string_at(self.value(name, required)?, name, &mut self.errors)
    }

    fn count(&mut self, name: &str, required: bool) -> Option<u32> {
        let value = self.value(name, required)?;
        match value.as_u64() {
            Some(n) => match u32::try_from(n) {
                Ok(n) => Some(n),
                Err(_) => {
                    self.error(name, "is too large");
                    None
                }
            },
            None => {
                self.error(name, "must be a whole number of at least 0");
                None
            }
        }
    }

    fn date(&mut self, name: &str, required: bool) -> Option<NaiveDate> {
        date_at(self.value(name, required)?, name, &mut self.errors)
    }

    fn code<T>(
        &mut self,
        name: &str,
        required: bool,
        from_code: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Option<T> {
        let text = self.string(name, required)?;
        let parsed = from_code(&text);
        if parsed.is_none() {
            self.error(name, format!("must be one of: {allowed}"));
        }
        parsed
    }

    fn currency(&mut self, name: &str) -> Option<Currency> {
        let text = self.string(name, false)?;
        match Currency::from_code(&text) {
            Ok(currency) => Some(currency),
            Err(error) => {
                self.error(name, error.to_string());
                None
            }
        }
    }

    fn list(&mut self, name: &str, max: usize) -> Option<&'a Vec<Value>> {
        let value = self.value(name, false)?;
        match value.as_array() {
            Some(items) if items.len() > max => {
                self.error(name, format!("must list at most {max} items"));
                None
            }
            Some(items) => Some(items),
            None => {
                self.error(name, "must be a list");
                None
            }
        }
    }

    fn fees(&mut self, name: &str) -> Vec<FeeRequest> {
        let Some(items) = self.list(name, schedule::FEES_MAX) else {
            return Vec::new();
        };
        let mut fees = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("{name}[{index}]");
            let Some(object) = item.as_object() else {
                self.error(&path, "must be an object with amount and financed");
                continue;
            };
            let amount = match object.get("amount") {
                Some(value) => string_at(value, &format!("{path}.amount"), &mut self.errors),
                None => {
                    self.error(&format!("{path}.amount"), "is required");
                    None
                }
            };
            let financed = match object.get("financed") {
                Some(Value::Bool(financed)) => Some(*financed),
                Some(_) => {
                    self.error(&format!("{path}.financed"), "must be true or false");
                    None
                }
                None => {
                    self.error(&format!("{path}.financed"), "is required");
                    None
                }
            };
            if let (Some(amount), Some(financed)) = (amount, financed) {
                fees.push(FeeRequest { amount, financed });
            }
        }
        fees
    }

    fn payments(&mut self, name: &str) -> Option<Vec<PaymentRequest>> {
        let items = self.list(name, tila::APR_PAYMENTS_MAX)?;
        let mut payments = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("{name}[{index}]");
            let Some(object) = item.as_object() else {
                self.error(&path, "must be an object with date and amount");
                continue;
            };
            let date = match object.get("date") {
                Some(value) => date_at(value, &format!("{path}.date"), &mut self.errors),
                None => {
                    self.error(&format!("{path}.date"), "is required");
                    None
                }
            };
            let amount = match object.get("amount") {
                Some(value) => string_at(value, &format!("{path}.amount"), &mut self.errors),
                None => {
                    self.error(&format!("{path}.amount"), "is required");
                    None
                }
            };
            if let (Some(date), Some(amount)) = (date, amount) {
                payments.push(PaymentRequest { date, amount });
            }
        }
        Some(payments)
    }
}

fn string_at(value: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) => {
            push(
                errors,
                field,
                "must be a decimal string such as \"125.40\", not a JSON number",
            );
            None
        }
        _ => {
            push(errors, field, "must be a string");
            None
        }
    }
}

fn date_at(value: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let text = string_at(value, field, errors)?;
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape_ok {
        push(errors, field, "must be a date written YYYY-MM-DD");
        return None;
    }
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            push(errors, field, "is not a date that exists");
            None
        }
    }
}

#[cfg(test)]
mod tests;
