//! A loan application: the document a channel submits, checked field by field into an
//! [`Application`], or every failing field at once.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lendmath::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{Errors, FieldError, Object};
use crate::identifiers::{self, TaxpayerNumber};
use crate::products::Product;

/// Longest name, reference, purpose or employer, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest free-text purpose, in characters.
pub const PURPOSE_MAX_CHARS: usize = 500;
/// Longest external reference or device id, in characters.
pub const REFERENCE_MAX_CHARS: usize = 128;
/// Oldest age accepted for a date of birth, in years: older is a typing mistake.
pub const AGE_MAX_YEARS: u32 = 120;
/// Most owners listed for a business.
pub const OWNERS_MAX: usize = 10;
/// Smallest stake of the owner who must hold a significant share, in percent (the
/// beneficial-ownership threshold lenders identify owners at, less the 25 % of the CDD
/// rule to catch near-controlling owners).
pub const MAIN_OWNER_PERCENT_MIN: u32 = 20;
/// Longest months of employment accepted (100 years).
pub const MONTHS_EMPLOYED_MAX: u32 = 1200;
/// How far in the future a consent's time may be (clock skew of the submitting device),
/// in seconds.
pub const CONSENT_CLOCK_SKEW_SECONDS: i64 = 300;

/// How an application reached the lender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The lender's web app.
    Web,
    /// The lender's mobile app.
    Mobile,
    /// The lender's own servers.
    Api,
    /// A partner (marketplace) integration.
    Partner,
    /// A broker.
    Broker,
}

/// A person's employment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentStatus {
    /// Employed by someone else.
    Employed,
    /// Self-employed.
    SelfEmployed,
    /// Retired.
    Retired,
    /// Not employed.
    Unemployed,
    /// A student.
    Student,
}

/// A postal address in the United States.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Apartment, suite, floor.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// USPS state or territory code.
    pub state: String,
    /// ZIP or ZIP+4.
    pub postal_code: String,
    /// ISO 3166 alpha-2 country code (`US`).
    pub country: String,
}

/// A person: the applicant, or a business owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// SSN or ITIN, nine digits without dashes.
    pub national_id: String,
    /// Which of the two `national_id` is.
    pub national_id_kind: TaxpayerNumberKind,
    /// E-mail address.
    pub email: String,
    /// Phone number, E.164.
    pub phone: String,
    /// Home address.
    pub address: Address,
    /// Gross annual income, decimal string in the application's currency.
    pub annual_income: Option<String>,
    /// Monthly rent or mortgage payment, decimal string.
    pub monthly_housing_cost: Option<String>,
    /// Employment.
    pub employment_status: Option<EmploymentStatus>,
    /// Employer's name.
    pub employer_name: Option<String>,
    /// Months with the current employer.
    pub months_employed: Option<u32>,
}

/// [`TaxpayerNumber`] as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxpayerNumberKind {
    /// A Social Security number.
    Ssn,
    /// An ITIN.
    Itin,
}

/// A business owner: a person and their stake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Who.
    #[serde(flatten)]
    pub person: Person,
    /// Their stake, in percent, a decimal string with at most two decimals.
    pub ownership_percent: String,
}

/// The business applying for an `sme_term` loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    /// Registered name.
    pub legal_name: String,
    /// Employer identification number, nine digits.
    pub ein: String,
    /// Date of formation.
    pub formation_date: NaiveDate,
    /// Annual revenue, decimal string.
    pub annual_revenue: String,
    /// Annual payments on existing debt, decimal string.
    pub annual_debt_service: String,
    /// Business address.
    pub address: Address,
}

/// What the applicant agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    /// Consent to a credit bureau pull (must be true).
    pub credit_pull: bool,
    /// Consent to electronic signatures and disclosures (must be true).
    pub esign: bool,
    /// Version of the terms accepted.
    pub terms_version: String,
    /// When they were accepted.
    pub accepted_at: DateTime<Utc>,
}

/// An application whose every field passed its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// The product applied for.
    pub product: Product,
    /// The channel it came through.
    pub channel: Channel,
    /// The channel's own reference.
    pub external_reference: Option<String>,
    /// Amount requested, decimal string at the currency's scale.
    pub requested_amount: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Term in months.
    pub term_months: u32,
    /// What the money is for.
    pub purpose: String,
    /// The applicant (for `sme_term`, the person applying for the business).
    pub applicant: Person,
    /// The business (`sme_term` only).
    pub business: Option<Business>,
    /// The business's owners (`sme_term` only).
    pub owners: Vec<Owner>,
    /// Consents.
    pub consents: Consents,
    /// The submitting device, for velocity checks.
    pub device_id: Option<String>,
}

impl Application {
    /// Every person on the application: the applicant, then the owners.
    pub fn people(&self) -> impl Iterator<Item = &Person> {
        std::iter::once(&self.applicant).chain(self.owners.iter().map(|o| &o.person))
    }
}

/// Checks a submitted application document as of `now`: the [`Application`], or every
/// failing field (JSON pointer and message) at once.
pub fn validate(document: &Value, now: DateTime<Utc>) -> Result<Application, Vec<FieldError>> {
    let mut errors = Errors::default();
    let Some(mut root) = Object::at(Some(document), "", true, &mut errors) else {
        return Err(errors.into_vec());
    };
    let today = now.date_naive();
    let product_pointer = root.field_pointer("product");
    let product = root
        .text("product", true, NAME_MAX_CHARS, &mut errors)
        .and_then(|name| {
            let product = Product::from_name(&name);
            if product.is_none() {
                errors.add(&product_pointer, "must be personal_installment or sme_term");
            }
            product
        });
    let channel = choice(
        &mut root,
        "channel",
        true,
        &mut errors,
        |name| match name {
            "web" => Some(Channel::Web),
            "mobile" => Some(Channel::Mobile),
            "api" => Some(Channel::Api),
            "partner" => Some(Channel::Partner),
            "broker" => Some(Channel::Broker),
            _ => None,
        },
        "must be web, mobile, api, partner or broker",
    );
    let external_reference = root.text(
        "external_reference",
        false,
        REFERENCE_MAX_CHARS,
        &mut errors,
    );
    let currency = currency(&mut root, product, &mut errors);
    let requested_amount = money(&mut root, "requested_amount", true, currency, &mut errors);
    if let (Some(product), Some(amount)) = (product, requested_amount) {
        let limits = product.limits();
        let range = limits.amount_min_minor..=limits.amount_max_minor;
        if !range.contains(&amount.to_minor()) {
            let (min, max) = (
                Money::from_minor(limits.amount_min_minor, amount.currency()),
                Money::from_minor(limits.amount_max_minor, amount.currency()),
            );
            errors.add(
                &root.field_pointer("requested_amount"),
                format!(
                    "must be from {} to {} for {}",
                    min.to_decimal_string(),
                    max.to_decimal_string(),
                    limits.name
                ),
            );
        }
    }
    let term_months = match product {
        Some(product) => {
            let limits = product.limits();
            root.whole(
                "term_months",
                true,
                limits.term_min_months,
                limits.term_max_months,
                &mut errors,
            )
        }
        None => root.whole("term_months", true, 1, u32::MAX, &mut errors),
    };
    let purpose = root.text("purpose", true, PURPOSE_MAX_CHARS, &mut errors);
    let applicant_value = root.value("applicant");
    let applicant = Object::at(applicant_value, "/applicant", true, &mut errors)
        .and_then(|object| person(object, currency, today, PersonRole::Applicant, &mut errors));
    let business_value = root.value("business");
    let owners_value = root.value("owners");
    let (business, owners) = match product {
        Some(Product::SmeTerm) => (
            Object::at(business_value, "/business", true, &mut errors)
                .and_then(|object| business(object, currency, today, &mut errors)),
            owners(owners_value, currency, today, &mut errors),
        ),
        _ => {
            if business_value.is_some() {
                errors.add("/business", "is only for sme_term applications");
            }
            if owners_value.is_some() {
                errors.add("/owners", "is only for sme_term applications");
            }
            (None, Some(Vec::new()))
        }
    };
    let consents_value = root.value("consents");
    let consents = Object::at(consents_value, "/consents", true, &mut errors)
        .and_then(|object| consents(object, now, &mut errors));
    let device_id = root.text("device_id", false, REFERENCE_MAX_CHARS, &mut errors);
    root.finish(&mut errors);

    match (
        product,
        channel,
        currency,
        requested_amount,
        term_months,
        purpose,
        applicant,
        owners,
        consents,
    ) {
        (
            Some(product),
            Some(channel),
            Some(currency),
            Some(amount),
            Some(term_months),
            Some(purpose),
            Some(applicant),
            Some(owners),
            Some(consents),
        ) if errors.is_empty() && (product != Product::SmeTerm || business.is_some()) => {
            Ok(Application {
                product,
                channel,
                external_reference,
                requested_amount: amount.to_decimal_string(),
                currency: currency.code().to_string(),
                term_months,
                purpose,
                applicant,
                business,
                owners,
                consents,
                device_id,
            })
        }
        _ => {
            debug_assert!(!errors.is_empty(), "a refusal names its fields");
            Err(errors.into_vec())
        }
    }
}

/// A string field that must be one of a closed set of names.
fn choice<T>(
    object: &mut Object<'_>,
    name: &'static str,
    required: bool,
    errors: &mut Errors,
    parse: impl Fn(&str) -> Option<T>,
    message: &'static str,
) -> Option<T> {
    let pointer = object.field_pointer(name);
    let text = object.text(name, required, NAME_MAX_CHARS, errors)?;
    let parsed = parse(&text);
    if parsed.is_none() {
        errors.add(&pointer, message);
    }
    parsed
}

/// The application's currency: `USD` when absent, and the one its product is offered in.
fn currency(
    root: &mut Object<'_>,
    product: Option<Product>,
    errors: &mut Errors,
) -> Option<Currency> {
    let pointer = root.field_pointer("currency");
    let code = root
        .text("currency", false, 3, errors)
        .unwrap_or_else(|| "USD".into());
    let currency = match Currency::from_code(&code) {
        Ok(currency) => currency,
        Err(_) => {
            errors.add(&pointer, "must be an ISO 4217 currency code such as USD");
            return None;
        }
    };
    if let Some(product) = product
        && product.limits().currency != currency.code()
    {
        errors.add(
            &pointer,
            format!(
                "{} is offered in {} only",
                product.limits().name,
                product.limits().currency
            ),
        );
        return None;
    }
    Some(currency)
}

/// A non-negative decimal string amount in `currency` (checked against the currency's
/// scale once the currency is known).
fn money(
    object: &mut Object<'_>,
    name: &'static str,
    required: bool,
    currency: Option<Currency>,
    errors: &mut Errors,
) -> Option<Money> {
    let pointer = object.field_pointer(name);
    let text = match object.given(name, required, errors)? {
        Value::String(text) => text,
        _ => {
            errors.add(&pointer, "must be a decimal string such as \"1250.00\"");
            return None;
        }
    };
    let currency = currency.unwrap_or_else(|| Currency::from_code("USD").expect("USD is known"));
    match Money::parse(text, currency) {
        Ok(money) if money.to_minor() >= 0 => Some(money),
        Ok(_) => {
            errors.add(&pointer, "must not be negative");
            None
        }
        Err(error) => {
            errors.add(&pointer, error.to_string());
            None
        }
    }
}

/// A percentage with at most two decimals from 0 to 100, in hundredths of a percent.
fn percent_hundredths(
    object: &mut Object<'_>,
    name: &'static str,
    errors: &mut Errors,
) -> Option<(u32, String)> {
    let pointer = object.field_pointer(name);
    let text = match object.given(name, true, errors)? {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            errors.add(&pointer, "must be a percentage such as \"51.5\"");
            return None;
        }
    };
    let usd = Currency::from_code("USD").expect("USD is known");
    match Money::parse(&text, usd) {
        Ok(m) if (0..=10_000).contains(&m.to_minor()) => Some((
            u32::try_from(m.to_minor()).unwrap_or(0),
            m.to_decimal_string(),
        )),
        _ => {
            errors.add(
                &pointer,
                "must be a percentage from 0 to 100 with at most two decimals",
            );
            None
        }
    }
}

/// A calendar date `YYYY-MM-DD` that exists.
fn date(object: &mut Object<'_>, name: &'static str, errors: &mut Errors) -> Option<NaiveDate> {
    let pointer = object.field_pointer(name);
    let text = object.text(name, true, 10, errors)?;
    let parsed = (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
        .flatten();
    if parsed.is_none() {
        errors.add(&pointer, "must be a date that exists, written YYYY-MM-DD");
    }
    parsed
}

/// Whole years between `birth` and `today`.
fn age_years(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

fn address(object: Object<'_>, errors: &mut Errors) -> Option<Address> {
    let mut object = object;
    let line1 = object.text("line1", true, NAME_MAX_CHARS, errors);
    let line2 = object.text("line2", false, NAME_MAX_CHARS, errors);
    let city = object.text("city", true, NAME_MAX_CHARS, errors);
    let state_pointer = object.field_pointer("state");
    let state = object.text("state", true, 2, errors).and_then(|code| {
        let known = identifiers::jurisdiction(&code).is_some();
        if !known {
            errors.add(
                &state_pointer,
                "must be a US state or territory code such as CA",
            );
        }
        known.then_some(code)
    });
    let zip_pointer = object.field_pointer("postal_code");
    let postal_code = object
        .text("postal_code", true, 10, errors)
        .and_then(|zip| match identifiers::zip(&zip) {
            Ok(()) => Some(zip),
            Err(message) => {
                errors.add(&zip_pointer, message);
                None
            }
        });
    let country_pointer = object.field_pointer("country");
    let country = object.text("country", true, 2, errors).and_then(|country| {
        if country == "US" {
            Some(country)
        } else {
            errors.add(
                &country_pointer,
                "must be US: applications are taken for US addresses",
            );
            None
        }
    });
    object.finish(errors);
    Some(Address {
        line1: line1?,
        line2,
        city: city?,
        state: state?,
        postal_code: postal_code?,
        country: country?,
    })
}

/// Whether a person is the applicant (whose finances are required) or an owner.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PersonRole {
    Applicant,
    Owner,
}

fn person(
    mut object: Object<'_>,
    currency: Option<Currency>,
    today: NaiveDate,
    role: PersonRole,
    errors: &mut Errors,
) -> Option<Person> {
    let person = person_fields(&mut object, currency, today, role, errors);
    object.finish(errors);
    person
}

fn person_fields(
    object: &mut Object<'_>,
    currency: Option<Currency>,
    today: NaiveDate,
    role: PersonRole,
    errors: &mut Errors,
) -> Option<Person> {
    let first_name = object.text("first_name", true, NAME_MAX_CHARS, errors);
    let last_name = object.text("last_name", true, NAME_MAX_CHARS, errors);
    let dob_pointer = object.field_pointer("date_of_birth");
    let date_of_birth = date(object, "date_of_birth", errors);
    let id_pointer = object.field_pointer("national_id");
    let national_id =
        object
            .text("national_id", true, 11, errors)
            .and_then(|id| match identifiers::national_id(&id) {
                Ok(normalised) => Some(normalised),
                Err(message) => {
                    errors.add(&id_pointer, message);
                    None
                }
            });
    let email_pointer = object.field_pointer("email");
    let email = object
        .text("email", true, identifiers::EMAIL_MAX_BYTES, errors)
        .and_then(|email| match identifiers::email(&email) {
            Ok(()) => Some(email.to_ascii_lowercase()),
            Err(message) => {
                errors.add(&email_pointer, message);
                None
            }
        });
    let phone_pointer = object.field_pointer("phone");
    let phone =
        object
            .text("phone", true, 16, errors)
            .and_then(|phone| match identifiers::e164(&phone) {
                Ok(()) => Some(phone),
                Err(message) => {
                    errors.add(&phone_pointer, message);
                    None
                }
            });
    let address_pointer = object.field_pointer("address");
    let address_value = object.value("address");
    let address =
        Object::at(address_value, &address_pointer, true, errors).and_then(|a| address(a, errors));
    let required = role == PersonRole::Applicant;
    let annual_income = money(object, "annual_income", required, currency, errors);
    let monthly_housing_cost = money(object, "monthly_housing_cost", required, currency, errors);
    let employment_status = choice(
        object,
        "employment_status",
        required,
        errors,
        |name| match name {
            "employed" => Some(EmploymentStatus::Employed),
            "self_employed" => Some(EmploymentStatus::SelfEmployed),
            "retired" => Some(EmploymentStatus::Retired),
            "unemployed" => Some(EmploymentStatus::Unemployed),
            "student" => Some(EmploymentStatus::Student),
            _ => None,
        },
        "must be employed, self_employed, retired, unemployed or student",
    );
    let employer_name = object.text("employer_name", false, NAME_MAX_CHARS, errors);
    let months_employed = object.whole("months_employed", false, 0, MONTHS_EMPLOYED_MAX, errors);

    // Age: of majority where the person lives (18 where the address does not say).
    if let Some(birth) = date_of_birth {
        let majority = address
            .as_ref()
            .and_then(|a| identifiers::jurisdiction(&a.state))
            .map_or(18, |j| j.majority_age_years);
        let age = age_years(birth, today);
        if birth > today {
            errors.add(&dob_pointer, "must not be in the future");
        } else if age < i32::try_from(majority).unwrap_or(18) {
            errors.add(
                &dob_pointer,
                format!(
                    "the person must be at least {majority} (the age of majority where they live)"
                ),
            );
        } else if age > i32::try_from(AGE_MAX_YEARS).unwrap_or(120) {
            errors.add(
                &dob_pointer,
                format!("must be within the last {AGE_MAX_YEARS} years"),
            );
        }
    }
    let (national_id, kind) = national_id?;
    Some(Person {
        first_name: first_name?,
        last_name: last_name?,
        date_of_birth: date_of_birth?,
        national_id,
        national_id_kind: match kind {
            TaxpayerNumber::Ssn => TaxpayerNumberKind::Ssn,
            TaxpayerNumber::Itin => TaxpayerNumberKind::Itin,
        },
        email: email?,
        phone: phone?,
        address: address?,
        annual_income: annual_income.map(|m| m.to_decimal_string()),
        monthly_housing_cost: monthly_housing_cost.map(|m| m.to_decimal_string()),
        employment_status,
        employer_name,
        months_employed,
    })
}

fn business(
    mut object: Object<'_>,
    currency: Option<Currency>,
    today: NaiveDate,
    errors: &mut Errors,
) -> Option<Business> {
    let legal_name = object.text("legal_name", true, NAME_MAX_CHARS, errors);
    let ein_pointer = object.field_pointer("ein");
    let ein = object
        .text("ein", true, 10, errors)
        .and_then(|ein| match identifiers::ein(&ein) {
            Ok(digits) => Some(digits),
            Err(message) => {
                errors.add(&ein_pointer, message);
                None
            }
        });
    let formed_pointer = object.field_pointer("formation_date");
    let formation_date = date(&mut object, "formation_date", errors);
    if let Some(formed) = formation_date
        && formed > today
    {
        errors.add(&formed_pointer, "must not be in the future");
    }
    let annual_revenue = money(&mut object, "annual_revenue", true, currency, errors);
    let annual_debt_service = money(&mut object, "annual_debt_service", true, currency, errors);
    let address_pointer = object.field_pointer("address");
    let address_value = object.value("address");
    let address =
        Object::at(address_value, &address_pointer, true, errors).and_then(|a| address(a, errors));
    object.finish(errors);
    Some(Business {
        legal_name: legal_name?,
        ein: ein?,
        formation_date: formation_date.filter(|d| *d <= today)?,
        annual_revenue: annual_revenue?.to_decimal_string(),
        annual_debt_service: annual_debt_service?.to_decimal_string(),
        address: address?,
    })
}

fn owners(
    value: Option<&Value>,
    currency: Option<Currency>,
    today: NaiveDate,
    errors: &mut Errors,
) -> Option<Vec<Owner>> {
    let list = match value {
        None => {
            errors.add(
                "/owners",
                "is required for sme_term: list the business's owners",
            );
            return None;
        }
        Some(Value::Array(list)) => list,
        Some(_) => {
            errors.add("/owners", "must be a list of owners");
            return None;
        }
    };
    if list.is_empty() || list.len() > OWNERS_MAX {
        errors.add("/owners", format!("must list 1 to {OWNERS_MAX} owners"));
        return None;
    }
    let mut owners = Vec::with_capacity(list.len());
    let mut complete = true;
    let mut total_hundredths = 0u32;
    let mut main_owner = false;
    for (index, item) in list.iter().enumerate() {
        let pointer = format!("/owners/{index}");
        let Some(mut object) = Object::at(Some(item), &pointer, true, errors) else {
            complete = false;
            continue;
        };
        let share = percent_hundredths(&mut object, "ownership_percent", errors);
        let person = person_fields(&mut object, currency, today, PersonRole::Owner, errors);
        object.finish(errors);
        if let Some((hundredths, _)) = &share {
            total_hundredths += hundredths;
            main_owner |= *hundredths >= MAIN_OWNER_PERCENT_MIN * 100;
        }
        match (person, share) {
            (Some(person), Some((_, percent))) => owners.push(Owner {
                person,
                ownership_percent: percent,
            }),
            _ => complete = false,
        }
    }
    if total_hundredths > 10_000 {
        errors.add("/owners", "ownership_percent must sum to at most 100");
    } else if complete && !main_owner {
        errors.add(
            "/owners",
            format!("at least one owner must hold {MAIN_OWNER_PERCENT_MIN} % or more"),
        );
    }
    complete.then_some(owners)
}

fn consents(mut object: Object<'_>, now: DateTime<Utc>, errors: &mut Errors) -> Option<Consents> {
    let agreed = |object: &mut Object<'_>, name: &'static str, errors: &mut Errors| {
        let pointer = object.field_pointer(name);
        let given = object.boolean(name, errors)?;
        if !given {
            errors.add(
                &pointer,
                "must be true: the application cannot proceed without it",
            );
            return None;
        }
        Some(given)
    };
    let credit_pull = agreed(&mut object, "credit_pull", errors);
    let esign = agreed(&mut object, "esign", errors);
    let terms_version = object.text("terms_version", true, NAME_MAX_CHARS, errors);
    let at_pointer = object.field_pointer("accepted_at");
    let accepted_at = object
        .text("accepted_at", true, 40, errors)
        .and_then(|text| match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => {
                let at = at.with_timezone(&Utc);
                if (at - now).num_seconds() > CONSENT_CLOCK_SKEW_SECONDS {
                    errors.add(&at_pointer, "must not be in the future");
                    None
                } else {
                    Some(at)
                }
            }
            Err(_) => {
                errors.add(
                    &at_pointer,
                    "must be an RFC 3339 time such as 2026-11-30T14:05:00Z",
                );
                None
            }
        });
    object.finish(errors);
    Some(Consents {
        credit_pull: credit_pull?,
        esign: esign?,
        terms_version: terms_version?,
        accepted_at: accepted_at?,
    })
}
