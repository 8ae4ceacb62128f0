//! Boolean conditions over named patterns and states: `a or (b and not c)`.

/// A parsed condition; variables are indices into the rule's name table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A pattern or state name.
    Var(usize),
    /// Negation.
    Not(Box<Expr>),
    /// All must hold.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    /// Constant false (an empty `or`).
    False,
}

impl Expr {
    /// Evaluates with a value for each variable.
    pub fn eval(&self, var: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Expr::Var(i) => var(*i),
            Expr::Not(e) => !e.eval(var),
            Expr::And(es) => es.iter().all(|e| e.eval(var)),
            Expr::Or(es) => es.iter().any(|e| e.eval(var)),
            Expr::False => false,
        }
    }

    /// Every variable the expression mentions.
    pub fn vars(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Var(i) => out.push(*i),
            Expr::Not(e) => e.vars(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.vars(out)),
            Expr::False => {}
        }
    }

    /// Variables that must be true for the expression to hold (positive, not under `not`),
    /// used to pick which matched lines are evidence.
    pub fn positive_vars(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Var(i) => out.push(*i),
            Expr::Not(_) | Expr::False => {}
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.positive_vars(out)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_' || cs[i] == '-') {
                i += 1;
            }
            let w: String = cs[start..i].iter().collect();
            out.push(match w.as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                _ => Tok::Ident(w),
            });
        } else {
            return Err(format!("unexpected character `{c}` at column {}", i + 1));
        }
    }
    Ok(out)
}

/// Deepest nesting of `(` and `not` a condition may have: the parser, `eval` and `Drop`
/// recurse once per level, and a hostile rule file must not overflow the stack.
pub const MAX_NESTING: usize = 64;

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    resolve: &'a dyn Fn(&str) -> Option<usize>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "condition nested more than {MAX_NESTING} levels deep"
            ));
        }
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }

    fn unary_inner(&mut self) -> Result<Expr, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("missing `)`".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                (self.resolve)(&name)
                    .map(Expr::Var)
                    .ok_or_else(|| format!("`{name}` is not a pattern or state of this rule"))
            }
            Some(t) => Err(format!("unexpected `{}`", tok_text(&t))),
            None => Err("unexpected end of condition".into()),
        }
    }
}

fn tok_text(t: &Tok) -> &str {
    match t {
        Tok::Ident(s) => s,
        Tok::And => "and",
        Tok::Or => "or",
        Tok::Not => "not",
        Tok::Open => "(",
        Tok::Close => ")",
    }
}

/// Parses `src`, resolving names through `resolve`.
pub fn parse(src: &str, resolve: &dyn Fn(&str) -> Option<usize>) -> Result<Expr, String> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        resolve,
        depth: 0,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected `{}` after a complete condition",
            tok_text(&p.toks[p.pos])
        ));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &str) -> Option<usize> {
        ["a", "b", "c", "d-e"].iter().position(|x| *x == n)
    }

    #[test]
    fn precedence_and_parentheses() {
        let e = parse("a or b and not c", &names).unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::Var(0),
                Expr::And(vec![Expr::Var(1), Expr::Not(Box::new(Expr::Var(2)))])
            ])
        );
        let e = parse("(a or b) and d-e", &names).unwrap();
        assert!(e.eval(&|i| i == 0 || i == 3));
        assert!(!e.eval(&|i| i == 0));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse("a or zz", &names).unwrap_err().contains("`zz`"));
        assert!(parse("(a or b", &names).unwrap_err().contains(")"));
        assert!(parse("a b", &names).unwrap_err().contains("unexpected"));
        assert!(parse("", &names).is_err());
        assert!(parse("a & b", &names).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep, &names).unwrap_err().contains("nested"));
        assert!(parse(&"not ".repeat(100_000), &names).is_err());
        let ok = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(parse(&ok, &names), Ok(Expr::Var(0)));
    }
}
