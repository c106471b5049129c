//! `lendwork calc`: the loan calculators on the command line.
//!
//! The same JSON contract as `POST /v1/calculators/schedule` and `/apr`: the request JSON
//! on stdin (or `--input FILE`), `lendmath::calc` parses and computes, the response JSON on
//! stdout. `--compact` prints exactly the bytes the HTTP calculator sends (plus a newline);
//! `--table` prints a readable table instead.
//!
//! A bad request prints the RFC 9457 problem the HTTP calculator would send (less its
//! request-specific `instance`) on stderr and exits with [`EXIT_BAD_REQUEST`]; a file or
//! pipe that cannot be read or written exits with [`EXIT_IO`].
//!
//! ```text
//! $ echo '{"principal": "1000.00", "annual_rate": "12", "term": 3, "frequency": "monthly",
//!          "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"}' \
//!   | lendwork calc schedule --table
//! ```

use clap::{Args, Subcommand};
use comfy_table::{CellAlignment, Table, presets};
use lendmath::calc::{self, AprResponse, CalcError, FieldError, ScheduleResponse};
use serde::Serialize;
use serde::de::IgnoredAny;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Exit code of a computed response.
pub const EXIT_OK: i32 = 0;
/// Exit code when the input cannot be read or the output cannot be written.
pub const EXIT_IO: i32 = 1;
/// Exit code of a request the calculator refuses (the problem is on stderr).
pub const EXIT_BAD_REQUEST: i32 = 2;

/// Largest request read, in bytes: the HTTP calculators' limit (`lendmath`'s), so a
/// request the CLI accepts is one the HTTP route accepts too.
pub const REQUEST_BYTES_MAX: usize = calc::REQUEST_BYTES_MAX;

/// Prefix of problem `type` URIs, as the components mint them (`lendkit`).
const PROBLEM_TYPE_PREFIX: &str = "urn:lendwork:problem:";

/// Arguments of `lendwork calc`.
#[derive(Args, Debug)]
pub struct CalcArgs {
    /// Which calculator.
    #[command(subcommand)]
    pub calculator: Calculator,
}

/// The calculators.
#[derive(Subcommand, Debug)]
pub enum Calculator {
    /// Amortization schedule with truth-in-lending figures (as POST /v1/calculators/schedule).
    Schedule(CalcOptions),
    /// Annual percentage rate of a payment stream, Regulation Z Appendix J (as POST
    /// /v1/calculators/apr).
    Apr(CalcOptions),
}

/// Input and output of one calculation.
#[derive(Args, Debug, Clone, Default)]
pub struct CalcOptions {
    /// Read the request JSON from FILE instead of stdin (`-` is stdin).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Print a readable table instead of JSON.
    #[arg(long, conflicts_with = "compact")]
    pub table: bool,
    /// Print the response JSON on one line, byte for byte the HTTP calculator's body.
    #[arg(long)]
    pub compact: bool,
}

/// How a response (or a problem) is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Indented JSON.
    Pretty,
    /// One-line JSON, as the HTTP calculators send it.
    Compact,
    /// Readable tables.
    Table,
}

impl CalcOptions {
    /// The output format these options ask for.
    pub fn format(&self) -> Format {
        match (self.table, self.compact) {
            (true, _) => Format::Table,
            (false, true) => Format::Compact,
            (false, false) => Format::Pretty,
        }
    }
}

/// A computed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalcResponse {
    /// From the schedule calculator.
    Schedule(ScheduleResponse),
    /// From the APR calculator.
    Apr(AprResponse),
}

/// An RFC 9457 problem for a refused request, in the shape (and with the type URIs,
/// titles and details) the HTTP calculators send, without the per-request `instance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `urn:lendwork:problem:<slug>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Summary of the problem type.
    pub title: String,
    /// The HTTP status the same request gets.
    pub status: u16,
    /// This occurrence.
    pub detail: String,
    /// The fields at fault (an empty field is the request as a whole).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    fn new(status: u16, slug: &str, title: &str, detail: String) -> Problem {
        Problem {
            type_uri: format!("{PROBLEM_TYPE_PREFIX}{slug}"),
            title: title.to_string(),
            status,
            detail,
            errors: Vec::new(),
        }
    }

    /// 400: the input is empty or not JSON.
    pub fn bad_request(detail: String) -> Problem {
        Problem::new(400, "bad-request", "Bad request", detail)
    }

    /// 413: the input is over [`REQUEST_BYTES_MAX`].
    pub fn too_large() -> Problem {
        Problem::new(
            413,
            "payload-too-large",
            "Payload too large",
            format!("request body exceeds the limit of {REQUEST_BYTES_MAX} bytes"),
        )
    }

    /// 422: lendmath refused the request; every field at fault is listed.
    pub fn validation(error: CalcError) -> Problem {
        Problem {
            errors: error.errors,
            ..Problem::new(422, "validation", "Validation failed", error.summary)
        }
    }
}

/// Runs `lendwork calc` on the process's stdin, stdout and stderr; returns the exit code.
pub fn run(args: &CalcArgs) -> i32 {
    run_with(
        args,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

/// [`run`] with the streams given: `stdin` is read only when no `--input` file is named.
pub fn run_with(
    args: &CalcArgs,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let (kind, options) = match &args.calculator {
        Calculator::Schedule(options) => (Kind::Schedule, options),
        Calculator::Apr(options) => (Kind::Apr, options),
    };
    let input = match read_input(options.input.as_deref(), stdin) {
        Ok(input) => input,
        Err(message) => {
            // Best effort: there is nowhere else to report a failing stderr.
            let _ = writeln!(stderr, "lendwork calc: {message}");
            return EXIT_IO;
        }
    };
    let format = options.format();
    let (written, code) = match calculate(kind, &input) {
        Ok(response) => (
            stdout
                .write_all(render(&response, format).as_bytes())
                .and_then(|()| stdout.flush()),
            EXIT_OK,
        ),
        Err(problem) => (
            stderr.write_all(render_problem(&problem, format).as_bytes()),
            EXIT_BAD_REQUEST,
        ),
    };
    match written {
        Ok(()) => code,
        Err(error) => {
            let _ = writeln!(stderr, "lendwork calc: cannot write the output: {error}");
            EXIT_IO
        }
    }
}

/// Which calculator a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Amortization schedule.
    Schedule,
    /// APR.
    Apr,
}

/// Reads at most one byte past [`REQUEST_BYTES_MAX`], so an endless pipe cannot fill
/// memory and an oversized request is still recognised as such.
fn read_input(path: Option<&Path>, stdin: &mut dyn Read) -> Result<Vec<u8>, String> {
    let limit = REQUEST_BYTES_MAX as u64 + 1;
    let mut input = Vec::new();
    match path {
        Some(path) if path != Path::new("-") => std::fs::File::open(path)
            .and_then(|file| file.take(limit).read_to_end(&mut input))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        _ => stdin
            .take(limit)
            .read_to_end(&mut input)
            .map_err(|e| format!("cannot read stdin: {e}"))?,
    };
    Ok(input)
}

/// One request through the calculators, with the HTTP route's checks in the HTTP route's
/// order: size (413), empty or not JSON (400), then lendmath's field checks (422).
pub fn calculate(kind: Kind, input: &[u8]) -> Result<CalcResponse, Problem> {
    if input.len() > REQUEST_BYTES_MAX {
        return Err(Problem::too_large());
    }
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "request body is empty; expected a JSON document".to_string(),
        ));
    }
    if let Err(error) = serde_json::from_slice::<IgnoredAny>(input) {
        return Err(Problem::bad_request(format!(
            "request body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        )));
    }
    match kind {
        Kind::Schedule => calc::parse_schedule_request(input)
            .and_then(|request| calc::schedule(&request))
            .map(CalcResponse::Schedule),
        Kind::Apr => calc::parse_apr_request(input)
            .and_then(|request| calc::apr(&request))
            .map(CalcResponse::Apr),
    }
    .map_err(Problem::validation)
}

/// The text printed for a response, ending with a newline.
pub fn render(response: &CalcResponse, format: Format) -> String {
    match (response, format) {
        (CalcResponse::Schedule(schedule), Format::Table) => schedule_table(schedule),
        (CalcResponse::Apr(apr), Format::Table) => apr_table(apr),
        (CalcResponse::Schedule(schedule), format) => json_text(schedule, format),
        (CalcResponse::Apr(apr), format) => json_text(apr, format),
    }
}

/// The text printed on stderr for a problem, ending with a newline. Problems are always
/// JSON, so scripts can read them whatever the output format.
pub fn render_problem(problem: &Problem, format: Format) -> String {
    match format {
        Format::Compact => json_text(problem, Format::Compact),
        Format::Pretty | Format::Table => json_text(problem, Format::Pretty),
    }
}

fn json_text<T: Serialize>(value: &T, format: Format) -> String {
    // Strings, numbers and dates only: serializing cannot fail.
    let mut text = match format {
        Format::Compact => serde_json::to_string(value),
        Format::Pretty | Format::Table => serde_json::to_string_pretty(value),
    }
    .unwrap_or_default();
    text.push('\n');
    text
}

fn new_table() -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table
}

fn align_right(table: &mut Table, columns: std::ops::Range<usize>) {
    for index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// Installments, a totals row, then the disclosure figures.
fn schedule_table(schedule: &ScheduleResponse) -> String {
    let mut installments = new_table();
    installments.set_header([
        "#",
        "Due date",
        "Payment",
        "Principal",
        "Interest",
        "Balance",
    ]);
    for i in &schedule.installments {
        installments.add_row([
            i.number.to_string(),
            i.due_date.to_string(),
            i.payment.clone(),
            i.principal.clone(),
            i.interest.clone(),
            i.balance.clone(),
        ]);
    }
    // The principal portions sum to the note amount (lendmath's invariant), so the
    // totals row shows it rather than re-adding decimal strings here.
    installments.add_row([
        "Total".to_string(),
        String::new(),
        schedule.total_of_payments.clone(),
        schedule.note_amount.clone(),
        schedule.total_interest.clone(),
        String::new(),
    ]);
    align_right(&mut installments, 0..1);
    align_right(&mut installments, 2..6);

    let currency = schedule.currency.code();
    let mut figures = new_table();
    figures.set_header(["Truth in lending", currency]);
    figures.add_row(["Annual percentage rate", &format!("{} %", schedule.apr)]);
    figures.add_row(["Finance charge", &schedule.finance_charge]);
    figures.add_row(["Amount financed", &schedule.amount_financed]);
    figures.add_row(["Total of payments", &schedule.total_of_payments]);
    figures.add_row(["Regular payment", &schedule.payment]);
    figures.add_row(["Note amount", &schedule.note_amount]);
    align_right(&mut figures, 1..2);

    format!(
        "Schedule ({currency}, {} installments)\n{installments}\n{figures}\n",
        schedule.installments.len()
    )
}

fn apr_table(apr: &AprResponse) -> String {
    let mut figures = new_table();
    figures.set_header(["Annual percentage rate", ""]);
    figures.add_row(["APR (disclosed)", &format!("{} %", apr.apr)]);
    figures.add_row(["APR (exact)", &format!("{} %", apr.apr_exact)]);
    figures.add_row(["Unit period", &apr.unit_period]);
    figures.add_row([
        "Full unit periods before the first payment",
        &apr.full_unit_periods.to_string(),
    ]);
    figures.add_row(["Odd days", &apr.odd_days.to_string()]);
    align_right(&mut figures, 1..2);
    format!("{figures}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: &str = r#"{
        "principal": "1000.00", "annual_rate": "12", "term": 3, "frequency": "monthly",
        "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"
    }"#;

    /// 12 CFR 1026 App. J (c)(1)(i): published APR 9.69%.
    const APR: &str = r#"{
        "amount_financed": "5000.00", "advance_date": "1978-01-10",
        "payment_amount": "230.00", "payment_count": 24, "frequency": "monthly",
        "first_payment_date": "1978-02-10"
    }"#;

    fn problem(kind: Kind, input: &str) -> Problem {
        calculate(kind, input.as_bytes()).expect_err("a refused request")
    }

    fn fields(problem: &Problem) -> Vec<&str> {
        problem.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn schedule_table_lists_installments_totals_and_tila_figures() {
        let response = calculate(Kind::Schedule, SCHEDULE.as_bytes()).unwrap();
        let expected = "\
Schedule (USD, 3 installments)
┌───────┬────────────┬─────────┬───────────┬──────────┬─────────┐
│     # ┆ Due date   ┆ Payment ┆ Principal ┆ Interest ┆ Balance │
╞═══════╪════════════╪═════════╪═══════════╪══════════╪═════════╡
│     1 ┆ 2024-02-15 ┆  340.02 ┆    330.02 ┆    10.00 ┆  669.98 │
│     2 ┆ 2024-03-15 ┆  340.02 ┆    333.32 ┆     6.70 ┆  336.66 │
│     3 ┆ 2024-04-15 ┆  340.03 ┆    336.66 ┆     3.37 ┆    0.00 │
│ Total ┆            ┆ 1020.07 ┆   1000.00 ┆    20.07 ┆         │
└───────┴────────────┴─────────┴───────────┴──────────┴─────────┘
┌────────────────────────┬─────────┐
│ Truth in lending       ┆     USD │
╞════════════════════════╪═════════╡
│ Annual percentage rate ┆ 12.00 % │
│ Finance charge         ┆   20.07 │
│ Amount financed        ┆ 1000.00 │
│ Total of payments      ┆ 1020.07 │
│ Regular payment        ┆  340.02 │
│ Note amount            ┆ 1000.00 │
└────────────────────────┴─────────┘
";
        assert_eq!(render(&response, Format::Table), expected);
    }

    #[test]
    fn apr_table_lists_the_figures() {
        let response = calculate(Kind::Apr, APR.as_bytes()).unwrap();
        let table = render(&response, Format::Table);
        let CalcResponse::Apr(apr) = &response else {
            panic!("an APR response")
        };
        assert!(table.contains("│ APR (disclosed)"), "{table}");
        assert!(table.contains("9.69 %"), "{table}");
        assert!(table.contains(&format!("{} %", apr.apr_exact)), "{table}");
        assert!(table.contains("month"), "{table}");
        assert!(
            table
                .lines()
                .any(|line| line.contains("Full unit periods") && line.contains(" 1 ")),
            "{table}"
        );
        assert!(
            table
                .lines()
                .any(|line| line.contains("Odd days") && line.contains(" 0 ")),
            "{table}"
        );
    }

    #[test]
    fn json_output_is_lendmaths_response() {
        let response = calculate(Kind::Schedule, SCHEDULE.as_bytes()).unwrap();
        let direct =
            calc::schedule(&calc::parse_schedule_request(SCHEDULE.as_bytes()).unwrap()).unwrap();
        let compact = render(&response, Format::Compact);
        assert_eq!(compact, serde_json::to_string(&direct).unwrap() + "\n");
        let pretty = render(&response, Format::Pretty);
        assert!(
            pretty.contains("\n  \"payment\": \"340.02\",\n"),
            "{pretty}"
        );
        let reparsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(reparsed, serde_json::to_value(&direct).unwrap());
    }

    #[test]
    fn bad_fields_are_422_naming_each_field() {
        let missing = problem(Kind::Apr, r#"{"amount_financed": "5000.00"}"#);
        assert_eq!(missing.status, 422);
        assert_eq!(missing.type_uri, "urn:lendwork:problem:validation");
        assert_eq!(missing.title, "Validation failed");
        assert_eq!(missing.detail, "the request has 1 invalid field");
        assert_eq!(fields(&missing), ["advance_date"]);

        let negative = problem(Kind::Schedule, &SCHEDULE.replace("1000.00", "-5.00"));
        assert_eq!(
            (negative.status, fields(&negative)),
            (422, vec!["principal"])
        );

        let frequency = problem(Kind::Schedule, &SCHEDULE.replace("monthly", "fortnightly"));
        assert_eq!(fields(&frequency), ["frequency"]);
        assert!(frequency.errors[0].message.contains("monthly"));

        let date = problem(
            Kind::Schedule,
            &SCHEDULE.replace("2024-01-15", "2025-02-30"),
        );
        assert_eq!(fields(&date), ["start_date"]);
        assert_eq!(date.errors[0].message, "is not a date that exists");

        // A schedule request is not an APR request.
        let wrong = problem(Kind::Apr, SCHEDULE);
        assert_eq!(wrong.status, 422);
        assert!(fields(&wrong).contains(&"amount_financed"));
    }

    #[test]
    fn malformed_input_is_400_and_oversized_413() {
        for input in ["", " \n", "{", r#"{"principal": }"#, "{} {}"] {
            let refused = problem(Kind::Schedule, input);
            assert_eq!(refused.status, 400, "{input:?}");
            assert_eq!(refused.type_uri, "urn:lendwork:problem:bad-request");
            assert!(refused.errors.is_empty());
        }
        assert_eq!(
            problem(Kind::Schedule, "{").detail,
            "request body is not valid JSON (line 1, column 1)"
        );
        let huge = format!("{SCHEDULE}{}", " ".repeat(REQUEST_BYTES_MAX));
        assert_eq!(problem(Kind::Schedule, &huge).status, 413);
    }

    #[test]
    fn problems_render_as_problem_json() {
        let refused = problem(Kind::Schedule, &SCHEDULE.replace("1000.00", "-5.00"));
        let text = render_problem(&refused, Format::Table);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "urn:lendwork:problem:validation",
                "title": "Validation failed",
                "status": 422,
                "detail": "the request has 1 invalid field",
                "errors": [{"field": "principal", "message": refused.errors[0].message}],
            })
        );
        let bad = render_problem(&problem(Kind::Apr, "{"), Format::Compact);
        assert!(bad.ends_with("}\n") && !bad.contains("errors"), "{bad}");
    }

    #[test]
    fn options_pick_the_format() {
        let options = |table, compact| CalcOptions {
            input: None,
            table,
            compact,
        };
        assert_eq!(options(false, false).format(), Format::Pretty);
        assert_eq!(options(false, true).format(), Format::Compact);
        assert_eq!(options(true, false).format(), Format::Table);
    }

    /// Runs `lendwork calc apr` with `args`; returns the exit code, stdout and stderr.
    fn run_apr(input: Option<PathBuf>, stdin: &str, compact: bool) -> (i32, String, String) {
        let args = CalcArgs {
            calculator: Calculator::Apr(CalcOptions {
                input,
                table: false,
                compact,
            }),
        };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = run_with(&args, &mut stdin.as_bytes(), &mut stdout, &mut stderr);
        let text = |bytes| String::from_utf8(bytes).unwrap();
        (code, text(stdout), text(stderr))
    }

    #[test]
    fn exit_codes_and_streams() {
        let (code, stdout, stderr) = run_apr(None, APR, true);
        assert_eq!((code, stderr.as_str()), (EXIT_OK, ""));
        assert!(stdout.starts_with(r#"{"apr":"9.69","#), "{stdout}");

        let (code, stdout, stderr) = run_apr(Some("-".into()), "{", false);
        assert_eq!((code, stdout.as_str()), (EXIT_BAD_REQUEST, ""));
        let problem: serde_json::Value = serde_json::from_str(&stderr).unwrap();
        assert_eq!(problem["status"], 400);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("request.json");
        std::fs::write(&file, "{}").unwrap();
        let (code, stdout, stderr) = run_apr(Some(file), APR, false);
        assert_eq!((code, stdout.as_str()), (EXIT_BAD_REQUEST, ""));
        assert!(stderr.contains(r#""status": 422"#), "{stderr}");

        let missing = dir.path().join("missing.json");
        let (code, stdout, stderr) = run_apr(Some(missing), APR, false);
        assert_eq!((code, stdout.as_str()), (EXIT_IO, ""));
        assert!(
            stderr.starts_with("lendwork calc: cannot read "),
            "{stderr}"
        );
    }

    #[test]
    fn a_failing_stdout_is_an_io_error() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let args = CalcArgs {
            calculator: Calculator::Apr(CalcOptions::default()),
        };
        let mut stderr = Vec::new();
        let code = run_with(&args, &mut APR.as_bytes(), &mut Closed, &mut stderr);
        assert_eq!(code, EXIT_IO);
        assert!(String::from_utf8(stderr).unwrap().contains("cannot write"));
    }
}
