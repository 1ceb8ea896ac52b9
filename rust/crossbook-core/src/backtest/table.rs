//! A small columnar table: named, typed columns in order, so the binding can hand any record set to
//! Python with one generic conversion.

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// floats; NaN = not available
    F64(Vec<f64>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    I8(Vec<i8>),
    Bool(Vec<bool>),
    /// a boolean that may be unknown: 1 true, 0 false, −1 not available
    OptBool(Vec<i8>),
    /// codes into the names
    Cat(Vec<u8>, &'static [&'static str]),
    /// `n × width` floats, row-major (a fixed-size list per row)
    F64Matrix(Vec<f64>, usize),
}

impl Column {
    /// Rows held.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::I8(v) | Column::OptBool(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Cat(v, _) => v.len(),
            Column::F64Matrix(v, w) => v.len().checked_div(*w).unwrap_or(0),
        }
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Named columns, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<(&'static str, Column)>,
}

impl Table {
    /// Add a column built from the rows.
    pub fn f64<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> f64) {
        self.columns.push((name, Column::F64(rows.iter().map(f).collect())));
    }
    /// Add an `i64` column.
    pub fn i64<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> i64) {
        self.columns.push((name, Column::I64(rows.iter().map(f).collect())));
    }
    /// Add a `u64` column.
    pub fn u64<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> u64) {
        self.columns.push((name, Column::U64(rows.iter().map(f).collect())));
    }
    /// Add an `i8` column.
    pub fn i8<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> i8) {
        self.columns.push((name, Column::I8(rows.iter().map(f).collect())));
    }
    /// Add a boolean column.
    pub fn bool<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> bool) {
        self.columns.push((name, Column::Bool(rows.iter().map(f).collect())));
    }
    /// Add a nullable boolean column.
    pub fn opt_bool<T>(&mut self, name: &'static str, rows: &[T], f: impl Fn(&T) -> Option<bool>) {
        let v = rows.iter().map(|r| f(r).map_or(-1, i8::from)).collect();
        self.columns.push((name, Column::OptBool(v)));
    }
    /// Add a categorical column (codes into `names`).
    pub fn cat<T>(&mut self, name: &'static str, names: &'static [&'static str], rows: &[T], f: impl Fn(&T) -> u8) {
        self.columns.push((name, Column::Cat(rows.iter().map(f).collect(), names)));
    }
    /// Add a fixed-width float list column.
    pub fn matrix<T>(&mut self, name: &'static str, width: usize, rows: &[T], f: impl Fn(&T) -> &[f64]) {
        let mut v = Vec::with_capacity(rows.len() * width);
        for r in rows {
            let x = f(r);
            v.extend((0..width).map(|k| x.get(k).copied().unwrap_or(f64::NAN)));
        }
        self.columns.push((name, Column::F64Matrix(v, width)));
    }

    /// The column called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| *n == name).map(|(_, c)| c)
    }

    /// Rows (of the first column; 0 when there is none).
    #[must_use]
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }
}
