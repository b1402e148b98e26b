//! How results are shown: `--output table` (aligned columns for people; the default) or
//! `--output json` (one pretty-printed JSON document on standard output, for scripts; `--json`
//! is the same).

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns and `key: value` lines.
    #[default]
    Table,
    /// JSON on standard output.
    Json,
}

/// Prints `value` as JSON, or `text()` for people.
pub fn print(
    format: OutputFormat,
    value: &impl Serialize,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    let text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(value)?,
        OutputFormat::Table => text(),
    };
    if text.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        // `petrel user list | head`: the reader left, which is not a failure of the command.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Rows under a header, each column as wide as its widest cell.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The rendered table; only the header when there are no rows.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut out = String::new();
            for (i, (cell, width)) in cells.zip(&widths).enumerate() {
                if i + 1 == widths.len() {
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(width - cell.chars().count() + 2));
                }
            }
            out.trim_end().to_owned()
        };
        let mut lines = vec![line(&mut self.headers.iter().copied())];
        for row in &self.rows {
            let mut cells = (0..widths.len()).map(|i| row.get(i).map_or("", String::as_str));
            lines.push(line(&mut cells));
        }
        lines.join("\n")
    }
}

/// `key: value` lines with the values aligned; empty values are left out.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}:{}{v}", " ".repeat(width - k.chars().count() + 1)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An optional text, or empty.
pub fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_align_to_the_widest_cell() {
        let mut t = Table::new(&["NAME", "ID"]);
        t.row(vec!["alice".into(), "1".into()]);
        t.row(vec!["b".into(), "22".into()]);
        assert_eq!(t.render(), "NAME   ID\nalice  1\nb      22");
        assert_eq!(Table::new(&["A", "B"]).render(), "A  B");
    }

    #[test]
    fn fields_skip_empty_values() {
        assert_eq!(
            fields(&[
                ("name", "a".into()),
                ("email", String::new()),
                ("id", "7".into())
            ]),
            "name: a\nid:   7"
        );
    }
}
