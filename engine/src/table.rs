//! A person's own table of numbers: a CSV file with a header row, read and checked here (plain
//! Rust, no tensors), then turned into training rows: the chosen label column (classes, or a
//! number to predict) and feature columns, split into training and test rows, with the
//! features (and a numeric label) standardised from the training rows only.
//!
//! Every problem names the line and the column and says what to do, so a person can fix the
//! file; nothing here panics on any input.

use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::samples::{Rows, Targets};

/// The largest CSV file read (a table this size is far more than a tab trains on).
pub const MAX_TABLE_BYTES: usize = 20 << 20;
/// The most columns a table may have.
pub const MAX_COLUMNS: usize = 256;
/// The most rows a table may have.
pub const MAX_ROWS: usize = 200_000;
/// The most classes a label column may have.
pub const MAX_TABLE_CLASSES: usize = 8;

/// A CSV table as read: the header's names and every cell as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub headers: Vec<String>,
    /// `rows[r][c]`: the cell of data row `r` (file line `lines[r]`) in column `c`.
    pub rows: Vec<Vec<String>>,
    /// The file line (1-based) each data row started on.
    pub lines: Vec<usize>,
}

/// Why a file is not a table Agora can train on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TableError {
    #[error(
        "The file is empty: choose a CSV file with a header row and at least two rows of data."
    )]
    Empty,
    #[error(
        "The file is {megabytes} MB; tables up to {max} MB can be read here: keep fewer rows (a sample of a few thousand trains just as well)."
    )]
    TooBig { megabytes: usize, max: usize },
    #[error("The file is not text (UTF-8): save it as CSV (comma-separated values) and try again.")]
    NotText,
    #[error(
        "The header (line 1) names {columns} columns; a table needs at least two (features and a label)."
    )]
    TooFewColumns { columns: usize },
    #[error("The header names {columns} columns; at most {max} can be used: remove some.")]
    TooManyColumns { columns: usize, max: usize },
    #[error("The table has {rows} rows; at most {max} can be used: keep a sample of them.")]
    TooManyRows { rows: usize, max: usize },
    #[error(
        "The header (line 1) names column {column} twice (\"{name}\"): give each column its own name."
    )]
    DuplicateHeader { column: usize, name: String },
    #[error("The header (line 1) leaves column {column} without a name: name every column.")]
    EmptyHeader { column: usize },
    #[error(
        "Line {line} has {found} values but the header names {expected} columns: give every row one value per column (a comma inside a value needs quotes)."
    )]
    Ragged {
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("Line {line} opens a quote that never closes: close it with \".")]
    OpenQuote { line: usize },
    #[error("The table has only a header and no rows of data: add rows below it.")]
    NoRows,
    #[error(
        "Line {line}, column \"{column}\": \"{value}\" is not a number. Features must be numbers: fix the value, remove the row, or leave this column out."
    )]
    NotANumber {
        line: usize,
        column: String,
        value: String,
    },
    #[error(
        "Line {line}, column \"{column}\" is empty. Fill it in or remove the row (missing values cannot be trained on)."
    )]
    Missing { line: usize, column: String },
    #[error("Choose at least one feature column.")]
    NoFeatures,
    #[error(
        "The label column \"{column}\" cannot also be a feature: untick it among the features."
    )]
    LabelIsFeature { column: String },
    #[error(
        "Every row has the same label (\"{value}\") in \"{column}\": a classifier needs at least two classes. Choose another label column."
    )]
    OneClass { column: String, value: String },
    #[error(
        "The label column \"{column}\" has {classes} different values; a classifier here takes at most {max}: choose another label column, or predict it as a number."
    )]
    TooManyClasses {
        column: String,
        classes: usize,
        max: usize,
    },
    #[error(
        "Too few rows to split: {train} for training and {test} for testing. Raise or lower the training share, or add rows."
    )]
    TooFewRows { train: usize, test: usize },
}

impl Table {
    /// Reads a CSV file: a header row, then one row per line; comma-, semicolon- or
    /// tab-separated (whichever the header uses most); fields may be quoted with `"` (a quote
    /// inside is doubled); blank lines are skipped.
    ///
    /// # Errors
    /// The file is empty, too big, not text, or not a rectangular table with a header.
    pub fn parse(bytes: &[u8]) -> Result<Table, TableError> {
        if bytes.len() > MAX_TABLE_BYTES {
            return Err(TableError::TooBig {
                megabytes: bytes.len().div_ceil(1 << 20),
                max: MAX_TABLE_BYTES >> 20,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| TableError::NotText)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(TableError::Empty);
        }
        let first_line = text.lines().next().unwrap_or_default();
        let delimiter = [',', ';', '\t']
            .into_iter()
            .max_by_key(|&d| first_line.matches(d).count())
            .unwrap_or(',');
        let records = records(text, delimiter)?;
        let mut records = records.into_iter();
        let Some((_, headers)) = records.next() else {
            return Err(TableError::Empty);
        };
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        if headers.len() < 2 {
            return Err(TableError::TooFewColumns {
                columns: headers.len(),
            });
        }
        if headers.len() > MAX_COLUMNS {
            return Err(TableError::TooManyColumns {
                columns: headers.len(),
                max: MAX_COLUMNS,
            });
        }
        for (at, name) in headers.iter().enumerate() {
            if name.is_empty() {
                return Err(TableError::EmptyHeader { column: at + 1 });
            }
            if headers[..at].contains(name) {
                return Err(TableError::DuplicateHeader {
                    column: at + 1,
                    name: name.clone(),
                });
            }
        }
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for (line, record) in records {
            if record.len() != headers.len() {
                return Err(TableError::Ragged {
                    line,
                    found: record.len(),
                    expected: headers.len(),
                });
            }
            if rows.len() == MAX_ROWS {
                return Err(TableError::TooManyRows {
                    rows: MAX_ROWS + 1,
                    max: MAX_ROWS,
                });
            }
            rows.push(
                record
                    .into_iter()
                    .map(|cell| cell.trim().to_owned())
                    .collect(),
            );
            lines.push(line);
        }
        if rows.is_empty() {
            return Err(TableError::NoRows);
        }
        Ok(Table {
            headers,
            rows,
            lines,
        })
    }

    /// Whether every cell of `column` is a number.
    pub fn is_numeric(&self, column: usize) -> bool {
        self.rows
            .iter()
            .all(|row| row.get(column).and_then(|cell| number(cell)).is_some())
    }

    /// The distinct values of `column`, sorted (numbers by value, then text).
    pub fn distinct(&self, column: usize) -> Vec<String> {
        let mut values: Vec<String> = self
            .rows
            .iter()
            .filter_map(|row| row.get(column).cloned())
            .collect();
        values.sort_by(|a, b| match (number(a), number(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        });
        values.dedup();
        values
    }

    /// What a person most likely wants: the last column as the label, classes when it holds
    /// text or a few whole numbers, and as features every column before it that holds numbers
    /// in most of its rows (a column of names is left out; a column of numbers with a typo is
    /// kept, so preparing it says which line to fix).
    pub fn suggest(&self) -> TableChoice {
        let label = self.headers.len() - 1;
        TableChoice {
            label,
            features: (0..label).filter(|&c| self.mostly_numeric(c)).collect(),
            task: self.suggest_task(label),
        }
    }

    /// Whether at least half the cells of `column` are numbers.
    fn mostly_numeric(&self, column: usize) -> bool {
        let numbers = self
            .rows
            .iter()
            .filter(|row| row.get(column).and_then(|cell| number(cell)).is_some())
            .count();
        2 * numbers >= self.rows.len()
    }

    /// Classes when `column` holds text or at most [`MAX_TABLE_CLASSES`] whole numbers; a
    /// number to predict otherwise.
    pub fn suggest_task(&self, column: usize) -> TableTask {
        let distinct = self.distinct(column);
        let whole = distinct
            .iter()
            .all(|value| number(value).is_some_and(|n| n.fract() == 0.0));
        if !self.is_numeric(column) || (whole && distinct.len() <= MAX_TABLE_CLASSES) {
            TableTask::Classes
        } else {
            TableTask::Number
        }
    }
}

/// What the label column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableTask {
    /// Each distinct value is a class.
    Classes,
    /// A number to predict (regression).
    Number,
}

/// Which columns train: the label and the features (0-based column indices).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableChoice {
    pub label: usize,
    pub features: Vec<usize>,
    pub task: TableTask,
}

/// A table ready to train on: standardised rows for training and testing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableData {
    pub train: Rows,
    pub test: Rows,
    /// The feature columns' names, in order.
    pub feature_names: Vec<String>,
    /// The class names (sorted), empty for a number label.
    pub class_names: Vec<String>,
    /// Each feature's mean and standard deviation over the training rows (what was
    /// subtracted and divided by).
    pub means: Vec<f32>,
    pub deviations: Vec<f32>,
    /// The label's mean and deviation over the training rows, for a number label.
    pub label_scale: Option<(f32, f32)>,
}

/// Turns `table` into standardised training and test rows: `train_percent` of the rows (per
/// class, for classes) train, shuffled by `seed`.
///
/// # Errors
/// A chosen column holds something that is not a number (which line), the label does not
/// make classes, or the split leaves no rows on a side.
pub fn prepare(
    table: &Table,
    choice: &TableChoice,
    train_percent: u32,
    seed: u64,
) -> Result<TableData, TableError> {
    let columns = table.headers.len();
    if choice.features.is_empty() || choice.features.iter().any(|&c| c >= columns) {
        return Err(TableError::NoFeatures);
    }
    if choice.label >= columns {
        return Err(TableError::NoFeatures);
    }
    if choice.features.contains(&choice.label) {
        return Err(TableError::LabelIsFeature {
            column: table.headers[choice.label].clone(),
        });
    }
    let cell_number = |row: usize, column: usize| -> Result<f32, TableError> {
        let cell = &table.rows[row][column];
        let name = || table.headers[column].clone();
        if cell.is_empty() {
            return Err(TableError::Missing {
                line: table.lines[row],
                column: name(),
            });
        }
        match number(cell) {
            #[allow(clippy::cast_possible_truncation)] // features are trained as f32
            Some(value) if value.is_finite() && value.abs() < 1e30 => Ok(value as f32),
            _ => Err(TableError::NotANumber {
                line: table.lines[row],
                column: name(),
                value: cell.chars().take(40).collect(),
            }),
        }
    };
    let count = table.rows.len();
    let mut values = Vec::with_capacity(count * choice.features.len());
    for row in 0..count {
        for &column in &choice.features {
            values.push(cell_number(row, column)?);
        }
    }
    let label_name = &table.headers[choice.label];
    let (labels, class_names): (Vec<Label>, Vec<String>) = match choice.task {
        TableTask::Classes => {
            let names = table.distinct(choice.label);
            if let Some(row) = (0..count).find(|&r| table.rows[r][choice.label].is_empty()) {
                return Err(TableError::Missing {
                    line: table.lines[row],
                    column: label_name.clone(),
                });
            }
            if names.len() < 2 {
                return Err(TableError::OneClass {
                    column: label_name.clone(),
                    value: names.first().cloned().unwrap_or_default(),
                });
            }
            if names.len() > MAX_TABLE_CLASSES {
                return Err(TableError::TooManyClasses {
                    column: label_name.clone(),
                    classes: names.len(),
                    max: MAX_TABLE_CLASSES,
                });
            }
            let labels = table
                .rows
                .iter()
                .map(|row| {
                    let class = names.iter().position(|name| *name == row[choice.label]);
                    Label::Class(u8::try_from(class.unwrap_or(0)).unwrap_or(0))
                })
                .collect();
            (labels, names)
        }
        TableTask::Number => {
            let labels = (0..count)
                .map(|row| cell_number(row, choice.label).map(Label::Value))
                .collect::<Result<Vec<_>, _>>()?;
            (labels, Vec::new())
        }
    };
    let (train, test) = split(&labels, class_names.len(), train_percent, seed);
    if train.is_empty() || test.is_empty() {
        return Err(TableError::TooFewRows {
            train: train.len(),
            test: test.len(),
        });
    }
    let width = choice.features.len();
    let (means, deviations) = moments(
        width,
        train.iter().map(|&r| &values[r * width..(r + 1) * width]),
    );
    let label_scale = match choice.task {
        TableTask::Number => {
            let numbers: Vec<f32> = train
                .iter()
                .map(|&r| match labels[r] {
                    Label::Value(v) => v,
                    Label::Class(_) => 0.0,
                })
                .collect();
            let (mean, deviation) = moments(1, numbers.chunks(1));
            Some((mean[0], deviation[0]))
        }
        TableTask::Classes => None,
    };
    let rows = |indices: &[usize]| {
        let mut out = Vec::with_capacity(indices.len() * width);
        for &r in indices {
            for (c, value) in values[r * width..(r + 1) * width].iter().enumerate() {
                out.push((value - means[c]) / deviations[c]);
            }
        }
        let targets = match label_scale {
            Some((mean, deviation)) => Targets::Values(
                indices
                    .iter()
                    .map(|&r| match labels[r] {
                        Label::Value(v) => (v - mean) / deviation,
                        Label::Class(_) => 0.0,
                    })
                    .collect(),
            ),
            None => Targets::Classes(
                indices
                    .iter()
                    .map(|&r| match labels[r] {
                        Label::Class(c) => c,
                        Label::Value(_) => 0,
                    })
                    .collect(),
            ),
        };
        Rows {
            columns: width,
            values: out,
            targets,
            classes: class_names.len(),
        }
    };
    Ok(TableData {
        train: rows(&train),
        test: rows(&test),
        feature_names: choice
            .features
            .iter()
            .map(|&c| table.headers[c].clone())
            .collect(),
        class_names,
        means,
        deviations,
        label_scale,
    })
}

#[derive(Clone, Copy)]
enum Label {
    Class(u8),
    Value(f32),
}

/// A number as people write them in CSV files: `1.5`, `-2e3`, `  7 `; not `NaN` or `inf`.
fn number(cell: &str) -> Option<f64> {
    let cell = cell.trim();
    let plain = cell
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if cell.is_empty() || !plain {
        return None;
    }
    cell.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// Per column, the mean and the (population) standard deviation; a constant column gets 1 so
/// it stays 0 after standardising.
fn moments<'a>(width: usize, rows: impl Iterator<Item = &'a [f32]>) -> (Vec<f32>, Vec<f32>) {
    let mut sum = vec![0.0_f64; width];
    let mut sum_sq = vec![0.0_f64; width];
    let mut count = 0_usize;
    for row in rows {
        for (c, &value) in row.iter().enumerate() {
            sum[c] += f64::from(value);
            sum_sq[c] += f64::from(value) * f64::from(value);
        }
        count += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = count.max(1) as f64;
    let mut means = Vec::with_capacity(width);
    let mut deviations = Vec::with_capacity(width);
    for c in 0..width {
        let mean = sum[c] / n;
        let variance = (sum_sq[c] / n - mean * mean).max(0.0);
        let deviation = variance.sqrt();
        #[allow(clippy::cast_possible_truncation)]
        {
            means.push(mean as f32);
            deviations.push(if deviation > 1e-12 {
                deviation as f32
            } else {
                1.0
            });
        }
    }
    (means, deviations)
}

/// Row indices for training and testing: per class for classes (so both sides have every
/// class), shuffled by `seed`.
fn split(
    labels: &[Label],
    classes: usize,
    train_percent: u32,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed ^ 0x7AB1_E5ED);
    let percent = train_percent.clamp(10, 90) as usize;
    let groups: Vec<Vec<usize>> = if classes > 0 {
        (0..classes)
            .map(|class| {
                (0..labels.len())
                    .filter(|&r| matches!(labels[r], Label::Class(c) if usize::from(c) == class))
                    .collect()
            })
            .collect()
    } else {
        vec![(0..labels.len()).collect()]
    };
    let mut train = Vec::new();
    let mut test = Vec::new();
    for mut members in groups {
        rng.shuffle(&mut members);
        let cut = (members.len() * percent).div_ceil(100).min(members.len());
        train.extend_from_slice(&members[..cut]);
        test.extend_from_slice(&members[cut..]);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    (train, test)
}

/// Splits CSV text into records of fields, each with the line (1-based) it starts on. Quoted
/// fields may hold the delimiter, doubled quotes and line breaks; blank lines are skipped.
fn records(text: &str, delimiter: char) -> Result<Vec<(usize, Vec<String>)>, TableError> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    let mut blank = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                quote_line = line;
                blank = false;
            }
            '\r' => {}
            '\n' => {
                if !blank {
                    record.push(std::mem::take(&mut field));
                    records.push((start_line, std::mem::take(&mut record)));
                }
                field.clear();
                line += 1;
                start_line = line;
                blank = true;
            }
            c if c == delimiter => {
                record.push(std::mem::take(&mut field));
                blank = false;
            }
            c => {
                if !c.is_whitespace() {
                    blank = false;
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(TableError::OpenQuote { line: quote_line });
    }
    if !blank {
        record.push(field);
        records.push((start_line, record));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Table, TableError> {
        Table::parse(text.as_bytes())
    }

    #[test]
    fn reads_quotes_crlf_blank_lines_and_other_delimiters() {
        let parsed =
            table("a,b,name\r\n1,2,\"x, y\"\r\n\r\n3,4,\"say \"\"hi\"\"\"\r\n").expect("reads");
        assert_eq!(parsed.headers, ["a", "b", "name"]);
        assert_eq!(parsed.rows[0], ["1", "2", "x, y"]);
        assert_eq!(parsed.rows[1], ["3", "4", "say \"hi\""]);
        assert_eq!(parsed.lines, [2, 4]);
        let semicolons = table("a;b\n1,5;2\n").expect("reads");
        assert_eq!(semicolons.rows[0], ["1,5", "2"]);
        let tabs = table("a\tb\n1\t2\n").expect("reads");
        assert_eq!(tabs.rows[0], ["1", "2"]);
    }

    #[test]
    fn bad_files_say_which_line_and_what_to_do() {
        assert_eq!(table(""), Err(TableError::Empty));
        assert_eq!(table(" \n\n"), Err(TableError::Empty));
        assert_eq!(table("a,b\n"), Err(TableError::NoRows));
        assert_eq!(
            table("only\n1\n"),
            Err(TableError::TooFewColumns { columns: 1 })
        );
        assert_eq!(
            table("a,b,c\n1,2,3\n4,5\n"),
            Err(TableError::Ragged {
                line: 3,
                found: 2,
                expected: 3
            })
        );
        assert_eq!(
            table("a,b,c\n1,2,3\n4,5\n")
                .expect_err("ragged")
                .to_string(),
            "Line 3 has 2 values but the header names 3 columns: give every row one value per column (a comma inside a value needs quotes)."
        );
        assert_eq!(
            table("a,b\n1,\"2\n"),
            Err(TableError::OpenQuote { line: 2 })
        );
        assert_eq!(
            table("a,a\n1,2\n"),
            Err(TableError::DuplicateHeader {
                column: 2,
                name: "a".into()
            })
        );
        assert_eq!(
            table("a,\n1,2\n"),
            Err(TableError::EmptyHeader { column: 2 })
        );
        assert_eq!(Table::parse(&[0xff, 0xfe, 0x00]), Err(TableError::NotText));
        let huge = vec![b'1'; MAX_TABLE_BYTES + 1];
        assert_eq!(
            Table::parse(&huge),
            Err(TableError::TooBig {
                megabytes: 21,
                max: 20
            })
        );
    }

    #[test]
    fn text_where_numbers_are_needed_names_the_line_and_column() {
        let parsed = table("x,y,label\n1,2,a\n3,oops,b\n5,6,a\n7,8,b\n").expect("reads");
        let choice = TableChoice {
            label: 2,
            features: vec![0, 1],
            task: TableTask::Classes,
        };
        assert_eq!(
            prepare(&parsed, &choice, 50, 1)
                .expect_err("text")
                .to_string(),
            "Line 3, column \"y\": \"oops\" is not a number. Features must be numbers: fix the value, remove the row, or leave this column out."
        );
        let missing = table("x,label\n1,a\n,b\n").expect("reads");
        let choice = TableChoice {
            label: 1,
            features: vec![0],
            task: TableTask::Classes,
        };
        assert_eq!(
            prepare(&missing, &choice, 50, 1),
            Err(TableError::Missing {
                line: 3,
                column: "x".into()
            })
        );
        let nan = table("x,label\nNaN,a\n2,b\n").expect("reads");
        assert!(matches!(
            prepare(&nan, &choice, 50, 1),
            Err(TableError::NotANumber { line: 2, .. })
        ));
    }

    #[test]
    fn a_typo_in_a_numeric_column_is_reported_not_skipped() {
        let parsed =
            table("name,a,b,label\nann,1,2,x\nbob,3,four,y\ncy,5,6,x\ndi,7,8,y\n").expect("reads");
        let choice = parsed.suggest();
        assert_eq!(
            choice.features,
            [1, 2],
            "names are left out, the column with a typo stays"
        );
        assert_eq!(
            prepare(&parsed, &choice, 50, 1),
            Err(TableError::NotANumber {
                line: 3,
                column: "b".into(),
                value: "four".into()
            })
        );
    }

    #[test]
    fn one_class_or_too_many_classes_are_refused() {
        let same = table("x,label\n1,a\n2,a\n3,a\n").expect("reads");
        let choice = TableChoice {
            label: 1,
            features: vec![0],
            task: TableTask::Classes,
        };
        assert_eq!(
            prepare(&same, &choice, 50, 1),
            Err(TableError::OneClass {
                column: "label".into(),
                value: "a".into()
            })
        );
        let mut text = String::from("x,label\n");
        for i in 0..20 {
            text.push_str(&format!("{i},c{i}\n"));
        }
        assert!(matches!(
            prepare(&table(&text).expect("reads"), &choice, 50, 1),
            Err(TableError::TooManyClasses { classes: 20, .. })
        ));
    }

    #[test]
    fn features_are_standardised_from_the_training_rows_and_classes_split_evenly() {
        let mut text = String::from("a,b,kind\n");
        for i in 0..40 {
            let kind = if i % 2 == 0 { "even" } else { "odd" };
            text.push_str(&format!("{},{},{kind}\n", i, 100 + 3 * i));
        }
        let parsed = table(&text).expect("reads");
        let choice = parsed.suggest();
        assert_eq!(choice.label, 2);
        assert_eq!(choice.features, [0, 1]);
        assert_eq!(choice.task, TableTask::Classes);
        let data = prepare(&parsed, &choice, 75, 3).expect("prepares");
        assert_eq!(data.train.len(), 30);
        assert_eq!(data.test.len(), 10);
        assert_eq!(data.class_names, ["even", "odd"]);
        let Targets::Classes(train_classes) = &data.train.targets else {
            panic!("classes")
        };
        assert_eq!(train_classes.iter().filter(|&&c| c == 0).count(), 15);
        // Mean 0 and deviation 1 over the training rows, column by column.
        for column in 0..2 {
            let values: Vec<f32> = data
                .train
                .values
                .iter()
                .skip(column)
                .step_by(2)
                .copied()
                .collect();
            let mean = values.iter().sum::<f32>() / 30.0;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 30.0;
            assert!(mean.abs() < 1e-5, "{mean}");
            assert!((var - 1.0).abs() < 1e-4, "{var}");
        }
        // The test rows use the training rows' scale.
        let first = data.test.values[0] * data.deviations[0] + data.means[0];
        assert!((first - first.round()).abs() < 1e-3, "{first}");
    }

    #[test]
    fn a_numeric_label_with_many_values_is_a_number_to_predict() {
        let mut text = String::from("x,price\n");
        for i in 0..50 {
            text.push_str(&format!("{i},{}.5\n", 1000 + 17 * i));
        }
        let parsed = table(&text).expect("reads");
        let choice = parsed.suggest();
        assert_eq!(choice.task, TableTask::Number);
        let data = prepare(&parsed, &choice, 80, 1).expect("prepares");
        let (mean, deviation) = data.label_scale.expect("scaled");
        assert!(mean > 1000.0 && deviation > 100.0);
        assert_eq!(data.train.classes, 0);
    }
}
