//! Benchmark figures: summaries of samples, a printed table and a Markdown page.

use std::time::Duration;

use comfy_table::{Table, presets};

/// Order statistics of a set of latency samples.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub median: Duration,
    /// 99th percentile.
    pub p99: Duration,
}

impl Summary {
    /// Summarises `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Summary {
        samples.sort_unstable();
        let at = |q: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let index = ((samples.len() - 1) as f64 * q).round() as usize;
            samples[index]
        };
        Summary {
            count: samples.len(),
            median: at(0.5),
            p99: at(0.99),
        }
    }
}

/// One measured row.
struct Row {
    benchmark: String,
    scenario: String,
    figure: String,
    baseline: String,
    ratio: String,
}

/// The figures of one run.
pub struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

/// Formats a duration in microseconds with one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report {
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row: what was measured, its figure, the baseline's, and their ratio.
    pub fn row(
        &mut self,
        benchmark: &str,
        scenario: &str,
        figure: String,
        baseline: String,
        ratio: Option<f64>,
    ) {
        self.rows.push(Row {
            benchmark: benchmark.into(),
            scenario: scenario.into(),
            figure,
            baseline,
            ratio: ratio.map(|r| format!("{r:.2}×")).unwrap_or_default(),
        });
    }

    /// Adds a note printed under the table.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The report as a terminal table.
    pub fn table(&self) -> String {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        table.set_header(["benchmark", "scenario", "figure", "baseline", "ratio"]);
        for row in &self.rows {
            table.add_row([
                &row.benchmark,
                &row.scenario,
                &row.figure,
                &row.baseline,
                &row.ratio,
            ]);
        }
        let mut out = table.to_string();
        for note in &self.notes {
            out.push_str("\n* ");
            out.push_str(note);
        }
        out
    }

    /// The report as the body of `BENCHMARKS.md`.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| benchmark | scenario | figure | baseline | ratio |\n|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                row.benchmark, row.scenario, row.figure, row.baseline, row.ratio
            ));
        }
        out.push('\n');
        for note in &self.notes {
            out.push_str(&format!("* {note}\n"));
        }
        out
    }
}

impl Default for Report {
    fn default() -> Self {
        Report::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_picks_order_statistics() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let s = Summary::of(&mut samples);
        assert_eq!(s.count, 100);
        assert_eq!(s.median, Duration::from_micros(51));
        assert_eq!(s.p99, Duration::from_micros(99));
    }
}
