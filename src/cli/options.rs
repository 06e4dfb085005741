//! BitTornado's option syntax: `--name value` (and `--name=value`), typed by each option's
//! default, last occurrence wins, positionals interleaved, and its help layout.

use std::collections::HashMap;

/// The default of an option, which also fixes the type of its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptDefault {
    /// An integer option (booleans are integers, as in BitTornado: `--check_hashes 0`).
    Int(i64),
    /// A floating-point option.
    Float(f64),
    /// A string option.
    Str(&'static str),
    /// A string option that must be given.
    Required,
}

/// One option of a tool: name (without `--`), default and help text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Opt {
    /// The name, without the leading `--`.
    pub name: &'static str,
    /// The default, which fixes the value type.
    pub default: OptDefault,
    /// One-paragraph description.
    pub help: &'static str,
}

impl Opt {
    /// An integer option.
    pub const fn int(name: &'static str, default: i64, help: &'static str) -> Opt {
        Opt { name, default: OptDefault::Int(default), help }
    }
    /// A float option.
    pub const fn float(name: &'static str, default: f64, help: &'static str) -> Opt {
        Opt { name, default: OptDefault::Float(default), help }
    }
    /// A string option.
    pub const fn str(name: &'static str, default: &'static str, help: &'static str) -> Opt {
        Opt { name, default: OptDefault::Str(default), help }
    }
    /// A string option that must be given.
    pub const fn required(name: &'static str, help: &'static str) -> Opt {
        Opt { name, default: OptDefault::Required, help }
    }
}

/// A command-line error, worded as BitTornado worded it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptError {
    /// `--name` was the last argument.
    #[error("parameter passed in at end with no value")]
    MissingValue,
    /// `--name` is not an option of this tool.
    #[error("unknown key --{0}")]
    UnknownKey(String),
    /// The value does not parse as the option's type.
    #[error("wrong format of --{name} - {reason}")]
    WrongFormat {
        /// The option.
        name: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A required option was not given.
    #[error("Option --{0} is required.")]
    Required(String),
    /// Too few positional arguments.
    #[error("Must supply at least {0} args.")]
    TooFewArgs(usize),
    /// Too many positional arguments.
    #[error("Too many args - {0} max.")]
    TooManyArgs(usize),
}

/// A typed option value.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
}

/// The result of parsing: every option's value (given or default) and the positionals.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    values: HashMap<&'static str, OptValue>,
    given: Vec<&'static str>,
    /// Positional arguments in order.
    pub positional: Vec<String>,
    /// True when `--help` was given.
    pub help: bool,
    /// True when `--version` was given.
    pub version: bool,
}

impl Parsed {
    /// An integer option's value. Panics if `name` is not an integer option of the table
    /// (a programming error in the tool, caught by its tests).
    pub fn int(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(OptValue::Int(i)) => *i,
            other => panic!("option {name} is not an integer option: {other:?}"),
        }
    }

    /// A float option's value (integer options convert).
    pub fn float(&self, name: &str) -> f64 {
        match self.values.get(name) {
            Some(OptValue::Float(f)) => *f,
            Some(OptValue::Int(i)) => *i as f64,
            other => panic!("option {name} is not a float option: {other:?}"),
        }
    }

    /// A string option's value (`""` when a required option is absent, which parse refuses).
    pub fn str(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(OptValue::Str(s)) => s,
            other => panic!("option {name} is not a string option: {other:?}"),
        }
    }

    /// True when the option was given on the command line.
    pub fn is_given(&self, name: &str) -> bool {
        self.given.contains(&name)
    }
}

/// Parses `args` (without the program name) against `table`. `--help` and `--version` are
/// always accepted; when present, required options and positional counts are not checked.
pub fn parse(
    args: &[String],
    table: &[Opt],
    min_positional: usize,
    max_positional: Option<usize>,
) -> Result<Parsed, OptError> {
    let mut parsed = Parsed::default();
    for opt in table {
        let v = match opt.default {
            OptDefault::Int(i) => OptValue::Int(i),
            OptDefault::Float(f) => OptValue::Float(f),
            OptDefault::Str(s) => OptValue::Str(s.to_string()),
            OptDefault::Required => OptValue::Str(String::new()),
        };
        parsed.values.insert(opt.name, v);
    }
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(body) = arg.strip_prefix("--") else {
            parsed.positional.push(arg.clone());
            continue;
        };
        match body {
            "help" => {
                parsed.help = true;
                continue;
            }
            "version" => {
                parsed.version = true;
                continue;
            }
            _ => {}
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let opt = table.iter().find(|o| o.name == name).ok_or_else(|| OptError::UnknownKey(name.to_string()))?;
        let value = match inline {
            Some(v) => v,
            None => {
                let v = args.get(i).ok_or(OptError::MissingValue)?.clone();
                i += 1;
                v
            }
        };
        let typed = convert(opt, &value)?;
        parsed.values.insert(opt.name, typed);
        parsed.given.push(opt.name);
    }
    if parsed.help || parsed.version {
        return Ok(parsed);
    }
    for opt in table {
        if opt.default == OptDefault::Required && !parsed.is_given(opt.name) {
            return Err(OptError::Required(opt.name.to_string()));
        }
    }
    if parsed.positional.len() < min_positional {
        return Err(OptError::TooFewArgs(min_positional));
    }
    if let Some(max) = max_positional {
        if parsed.positional.len() > max {
            return Err(OptError::TooManyArgs(max));
        }
    }
    Ok(parsed)
}

fn convert(opt: &Opt, value: &str) -> Result<OptValue, OptError> {
    let wrong = |reason: String| OptError::WrongFormat { name: opt.name.to_string(), reason };
    match opt.default {
        OptDefault::Int(_) => value
            .trim()
            .parse::<i64>()
            .map(OptValue::Int)
            .map_err(|_| wrong(format!("invalid literal for int(): '{value}'"))),
        OptDefault::Float(_) => match value.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(OptValue::Float(f)),
            _ => Err(wrong(format!("could not convert string to float: '{value}'"))),
        },
        OptDefault::Str(_) | OptDefault::Required => Ok(OptValue::Str(value.to_string())),
    }
}

/// BitTornado's help layout: `--name <arg>`, then the description and its default wrapped to
/// `cols` columns with a 10-space indent, then a blank line.
pub fn format_help(table: &[Opt], cols: usize) -> String {
    let mut out = String::new();
    for opt in table {
        let (arg, default) = match opt.default {
            OptDefault::Int(i) => ("<arg>", Some(i.to_string())),
            OptDefault::Float(f) => ("<arg>", Some(python_float(f))),
            OptDefault::Str(s) => ("<arg>", Some(format!("'{s}'"))),
            OptDefault::Required => ("<arg>", None),
        };
        out.push_str(&format!("--{} {}\n", opt.name, arg));
        let mut text = opt.help.to_string();
        if let Some(d) = default {
            text.push_str(&format!(" (defaults to {d})"));
        }
        for line in wrap(&text, cols.saturating_sub(10).max(20)) {
            out.push_str("          ");
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn python_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Opt] = &[
        Opt::int("port", 80, "port to listen on"),
        Opt::float("timeout", 300.0, "seconds"),
        Opt::str("comment", "", "a comment"),
        Opt::required("dfile", "state file"),
    ];

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn both_syntaxes_and_last_wins() {
        let p = parse(&args(&["--dfile", "x", "a", "--port", "1", "--port=2", "b", "--comment=c d"]), TABLE, 0, None)
            .unwrap();
        assert_eq!(p.int("port"), 2);
        assert_eq!(p.str("comment"), "c d");
        assert_eq!(p.float("timeout"), 300.0);
        assert_eq!(p.positional, ["a", "b"]);
        assert!(p.is_given("port") && !p.is_given("timeout"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            parse(&args(&["--dfile", "x", "--nope", "1"]), TABLE, 0, None).unwrap_err().to_string(),
            "unknown key --nope"
        );
        assert_eq!(parse(&args(&["--dfile"]), TABLE, 0, None).unwrap_err(), OptError::MissingValue);
        assert_eq!(
            parse(&args(&["--dfile", "x", "--port", "2.0"]), TABLE, 0, None).unwrap_err().to_string(),
            "wrong format of --port - invalid literal for int(): '2.0'"
        );
        assert_eq!(parse(&args(&[]), TABLE, 0, None).unwrap_err().to_string(), "Option --dfile is required.");
        assert_eq!(parse(&args(&["--dfile", "x"]), TABLE, 1, None).unwrap_err(), OptError::TooFewArgs(1));
        assert_eq!(parse(&args(&["--dfile", "x", "a", "b"]), TABLE, 0, Some(1)).unwrap_err(), OptError::TooManyArgs(1));
        assert!(parse(&args(&["--help"]), TABLE, 3, None).unwrap().help);
    }

    #[test]
    fn help_layout() {
        let h = format_help(TABLE, 80);
        assert!(h.starts_with("--port <arg>\n          port to listen on (defaults to 80)\n\n"));
        assert!(h.contains("(defaults to 300.0)"));
        assert!(h.contains("(defaults to '')"));
        assert!(h.contains("--dfile <arg>\n          state file\n\n"));
    }
}
