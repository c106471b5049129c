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

/// Marks where `lendwork bench --write` puts its figures in a Markdown file; the text
/// around the markers (analysis, history) is kept.
const FIGURES_START: &str = "<!-- figures:start (written by `cargo xtask bench`) -->";
const FIGURES_END: &str = "<!-- figures:end -->";

impl Report {
    /// Writes the figures into `path` between the figure markers, creating the file (or
    /// appending the markers) when needed.
    pub fn write_into(&self, path: &std::path::Path) -> std::io::Result<()> {
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let figures = format!(
            "{FIGURES_START}\nMeasured {} on {} CPUs ({}).\n\n{}{FIGURES_END}",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            std::env::consts::ARCH,
            self.markdown()
        );
        let text = match (existing.find(FIGURES_START), existing.find(FIGURES_END)) {
            (Some(start), Some(end)) if start < end => format!(
                "{}{figures}{}",
                &existing[..start],
                &existing[end + FIGURES_END.len()..]
            ),
            _ if existing.is_empty() => format!("# Benchmarks\n\n{figures}\n"),
            _ => format!("{existing}\n{figures}\n"),
        };
        std::fs::write(path, text)
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
    fn figures_replace_only_their_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BENCHMARKS.md");
        let mut report = Report::new();
        report.row("http", "first", "1 req/s".into(), String::new(), None);
        report.write_into(&path).unwrap();
        let with_analysis = std::fs::read_to_string(&path).unwrap() + "\n## Analysis\nkept\n";
        std::fs::write(&path, with_analysis).unwrap();
        let mut report = Report::new();
        report.row("http", "second", "2 req/s".into(), String::new(), None);
        report.write_into(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("| http | second | 2 req/s"));
        assert!(!text.contains("first"));
        assert!(text.ends_with("## Analysis\nkept\n"));
        assert_eq!(text.matches(FIGURES_START).count(), 1);
    }

    #[test]
    fn summary_picks_order_statistics() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let s = Summary::of(&mut samples);
        assert_eq!(s.count, 100);
        assert_eq!(s.median, Duration::from_micros(51));
        assert_eq!(s.p99, Duration::from_micros(99));
    }
}
