//! A loan as its book keeps it: the terms, every event in the order it was entered, and
//! the position after the last one (a checkpoint).
//!
//! The position is always the replay of the events in date order from the booking: an
//! event dated on or after the checkpoint continues from it; a backdated one, or a
//! reversal, replays everything, so every later payment is re-applied as if the events
//! had arrived in date order. Both ways give the same position (a property test checks).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ServicingError;
use crate::position::{Applied, History, Position};
use crate::terms::Terms;

/// Most events a loan keeps: a payment a week for 30 years, and their reversals, with room.
pub const EVENTS_MAX: usize = 2_000;

/// Largest payment accepted, minor units (the money library's largest principal).
pub const PAYMENT_MAX: i64 = lendmath::schedule::PRINCIPAL_MINOR_MAX;

/// How a payment arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An ACH debit or credit.
    Ach,
    /// A debit card.
    DebitCard,
    /// Cash at a branch or agent.
    Cash,
    /// A check.
    Check,
}

/// Why a payment was reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Returned for insufficient funds: the product's NSF fee is charged.
    Nsf,
    /// Disputed and charged back by the card network.
    Chargeback,
    /// Entered in error.
    Error,
}

/// What happened to a loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Money received.
    Payment {
        /// The payment's id (unique within the loan).
        id: String,
        /// How much, minor units.
        amount: i64,
        /// How it arrived.
        channel: Channel,
    },
    /// A payment undone.
    Reversal {
        /// The payment reversed.
        payment: String,
        /// Why.
        reason: Reason,
    },
    /// Close of business advanced the loan to this date: every due date and grace end on
    /// or before it processed (installments billed, late fees charged), interest accrued
    /// to it.
    Advance,
}

/// An event with its effective date and its order of entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Order of entry, from 1.
    pub seq: u64,
    /// Effective date.
    pub date: NaiveDate,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Who and what a loan is for, beside its money: no personal data (the borrower's contact
/// details are kept apart, by the component that books the loan).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The product's name.
    pub product: String,
    /// The API key or token subject id of the channel that may read the loan as its
    /// borrower's (the one that submitted the application); none for an imported loan.
    pub owner: Option<String>,
    /// The application it was originated from.
    pub application_id: Option<String>,
    /// The offer accepted.
    pub offer_id: Option<String>,
    /// The seller's or previous servicer's id of an imported loan.
    pub external_id: Option<String>,
}

/// A loan's servicing state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// The loan's id (its ledger book).
    pub id: String,
    /// Who and what it is for.
    #[serde(default)]
    pub profile: Profile,
    /// Its terms.
    pub terms: Terms,
    /// Every event, in the order entered.
    pub events: Vec<Event>,
    /// The position after the last event (or at booking).
    pub position: Position,
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// How the payment was applied (for a reversal: nothing).
    pub applied: Applied,
    /// Whether later events were re-applied (a backdated event or a reversal).
    pub replayed: bool,
}

impl Loan {
    /// A loan booked with `terms`.
    pub fn book(id: &str, profile: Profile, terms: Terms) -> Result<Loan, ServicingError> {
        terms.check()?;
        let position = Position::booked(&terms);
        Ok(Loan {
            id: id.to_string(),
            profile,
            terms,
            events: Vec::new(),
            position,
        })
    }

    /// The payment entered with `id`, if any.
    pub fn payment(&self, id: &str) -> Option<&Event> {
        self.events
            .iter()
            .find(|e| matches!(&e.kind, EventKind::Payment { id: found, .. } if found == id))
    }

    /// Whether payment `id` was reversed.
    pub fn is_reversed(&self, id: &str) -> bool {
        self.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Reversal { payment, .. } if payment == id))
    }

    /// Records a payment of `amount` received on `date`.
    pub fn pay(
        &mut self,
        id: &str,
        amount: i64,
        date: NaiveDate,
        channel: Channel,
    ) -> Result<Recorded, ServicingError> {
        if amount <= 0 || amount > PAYMENT_MAX {
            return Err(ServicingError::Refused(
                "the amount must be positive and within limits",
            ));
        }
        if date < self.terms.start_date {
            return Err(ServicingError::Refused(
                "a payment cannot be dated before the loan was disbursed",
            ));
        }
        if self.payment(id).is_some() {
            return Err(ServicingError::Refused(
                "a payment with this id was recorded before",
            ));
        }
        if self
            .position
            .paid_off_on
            .is_some_and(|paid_off| date > paid_off)
        {
            return Err(ServicingError::PaidOff);
        }
        self.push(
            date,
            EventKind::Payment {
                id: id.to_string(),
                amount,
                channel,
            },
        )
    }

    /// Reverses payment `id` on `date` for `reason`.
    pub fn reverse(
        &mut self,
        id: &str,
        reason: Reason,
        date: NaiveDate,
    ) -> Result<Recorded, ServicingError> {
        let Some(payment) = self.payment(id) else {
            return Err(ServicingError::UnknownPayment);
        };
        if self.is_reversed(id) {
            return Err(ServicingError::Refused("the payment was already reversed"));
        }
        if date < payment.date {
            return Err(ServicingError::Refused(
                "a reversal cannot be dated before the payment",
            ));
        }
        self.push(
            date,
            EventKind::Reversal {
                payment: id.to_string(),
                reason,
            },
        )
    }

    /// Advances the loan to `date` (close of business reaching its calendar date); `None`
    /// when its position is there already, so advancing twice records one event.
    pub fn advance(&mut self, date: NaiveDate) -> Result<Option<Recorded>, ServicingError> {
        if date <= self.position.date || self.position.is_paid_off() {
            return Ok(None);
        }
        self.push(date, EventKind::Advance).map(Some)
    }

    fn push(&mut self, date: NaiveDate, kind: EventKind) -> Result<Recorded, ServicingError> {
        if self.events.len() >= EVENTS_MAX {
            return Err(ServicingError::Refused("the loan holds too many events"));
        }
        let event = Event {
            seq: self.events.last().map_or(1, |e| e.seq + 1),
            date,
            kind,
        };
        let incremental =
            date >= self.position.date && !matches!(event.kind, EventKind::Reversal { .. });
        self.events.push(event);
        if incremental {
            let event = self.events.last().expect("just pushed");
            let mut position = self.position.clone();
            let applied = apply(
                &self.terms,
                &mut position,
                event,
                &BTreeSet::new(),
                &mut None,
            )?;
            self.position = position;
            return Ok(Recorded {
                applied,
                replayed: false,
            });
        }
        let (position, history) = self.replay(true)?;
        let history = history.expect("asked for");
        let applied = match &self.events.last().expect("just pushed").kind {
            EventKind::Payment { id, .. } => history
                .payments
                .iter()
                .find(|(paid, _, _)| paid == id)
                .map(|(_, _, applied)| applied.clone())
                .unwrap_or_default(),
            EventKind::Reversal { .. } | EventKind::Advance => Applied::default(),
        };
        self.position = position;
        Ok(Recorded {
            applied,
            replayed: true,
        })
    }

    /// The position replayed from the booking through every event, in date order; with
    /// `history`, every item and payment application along the way.
    pub fn replay(&self, history: bool) -> Result<(Position, Option<History>), ServicingError> {
        let mut position = Position::booked(&self.terms);
        let mut kept = history.then(History::default);
        let reversed: BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Reversal { payment, .. } => Some(payment.as_str()),
                EventKind::Payment { .. } | EventKind::Advance => None,
            })
            .collect();
        let mut ordered: Vec<&Event> = self.events.iter().collect();
        ordered.sort_by_key(|e| (e.date, e.seq));
        for event in ordered {
            apply(&self.terms, &mut position, event, &reversed, &mut kept)?;
        }
        Ok((position, kept))
    }

    /// The position on `date` (on or after the last event's): interest accrued to the day
    /// before, every due date and grace end up to it processed.
    pub fn as_of(&self, date: NaiveDate) -> Result<Position, ServicingError> {
        let mut position = self.position.clone();
        position.advance_to(&self.terms, date.max(position.date), &mut None)?;
        Ok(position)
    }

    /// The state as stored with the loan's book.
    pub fn to_state(&self) -> String {
        serde_json::to_string(self).expect("a loan always serialises")
    }

    /// A loan from its stored state.
    pub fn from_state(state: &str) -> Result<Loan, ServicingError> {
        serde_json::from_str(state)
            .map_err(|e| ServicingError::Corrupt(format!("unreadable loan state: {e}")))
    }
}

/// Applies one event to `position` (a reversed payment is skipped: as if it never came).
fn apply(
    terms: &Terms,
    position: &mut Position,
    event: &Event,
    reversed: &BTreeSet<&str>,
    history: &mut Option<History>,
) -> Result<Applied, ServicingError> {
    position.advance_to(terms, event.date, history)?;
    match &event.kind {
        EventKind::Payment { id, amount, .. } if !reversed.contains(id.as_str()) => {
            position.apply_payment(terms, id, *amount, history)
        }
        EventKind::Payment { .. } => Ok(Applied::default()),
        EventKind::Reversal { reason, .. } => {
            if *reason == Reason::Nsf {
                position.charge_nsf(terms, event.date, history)?;
            }
            Ok(Applied::default())
        }
        EventKind::Advance => Ok(Applied::default()),
    }
}
