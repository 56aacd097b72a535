//! The gettext `Plural-Forms` rule of a language: `nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : …);`
//! read into a small expression tree and evaluated for a count, so [`super::tr_n`] picks the right
//! `msgstr[i]`.
//!
//! It understands the C subset gettext rules use (`n`, whole numbers, `! * / % + - < <= > >= == !=
//! && || ?:` and parentheses) and nothing more; it must not know any language's rule itself: the
//! rule comes from the `.po` file's header.

/// A `Plural-Forms` rule: how many forms, and which one a count takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluralRule {
    /// `nplurals`: how many `msgstr[i]` a plural entry has.
    pub forms: usize,
    expression: Expr,
}

/// A `Plural-Forms` header that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Plural-Forms {header:?}: {reason}")]
pub struct PluralError {
    pub header: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    N,
    Number(u64),
    Not(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Choice(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl PluralRule {
    /// Reads a header value such as `nplurals=2; plural=(n != 1);`.
    pub fn parse(header: &str) -> Result<PluralRule, PluralError> {
        let error = |reason: &str| PluralError { header: header.to_owned(), reason: reason.to_owned() };
        let mut forms = None;
        let mut expression = None;
        for part in header.split(';') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            match key.trim() {
                "nplurals" => {
                    forms = Some(value.trim().parse::<usize>().map_err(|_| error("nplurals is no number"))?)
                }
                "plural" => expression = Some(value.trim()),
                _ => {}
            }
        }
        let forms = forms.filter(|f| (1..=6).contains(f)).ok_or_else(|| error("nplurals must be 1 to 6"))?;
        let text = expression.ok_or_else(|| error("no plural= expression"))?;
        let tokens = tokenize(text).map_err(|r| error(&r))?;
        let mut parser = Parser { tokens, at: 0 };
        let expression = parser.choice().map_err(|r| error(&r))?;
        if parser.at != parser.tokens.len() {
            return Err(error("unexpected text after the expression"));
        }
        Ok(PluralRule { forms, expression })
    }

    /// The form (`msgstr[i]`) for `n`; never past the last form.
    pub fn form(&self, n: u64) -> usize {
        let index = eval(&self.expression, n);
        usize::try_from(index).unwrap_or(usize::MAX).min(self.forms - 1)
    }
}

impl Default for PluralRule {
    /// The English rule (Germanic languages alike): one, and other.
    fn default() -> PluralRule {
        PluralRule {
            forms: 2,
            expression: Expr::Binary(Op::Ne, Box::new(Expr::N), Box::new(Expr::Number(1))),
        }
    }
}

fn eval(expr: &Expr, n: u64) -> u64 {
    let truth = |b: bool| u64::from(b);
    match expr {
        Expr::N => n,
        Expr::Number(v) => *v,
        Expr::Not(e) => truth(eval(e, n) == 0),
        Expr::Choice(c, yes, no) => {
            if eval(c, n) != 0 {
                eval(yes, n)
            } else {
                eval(no, n)
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, n), eval(b, n));
            match op {
                Op::Or => truth(a != 0 || b != 0),
                Op::And => truth(a != 0 && b != 0),
                Op::Eq => truth(a == b),
                Op::Ne => truth(a != b),
                Op::Lt => truth(a < b),
                Op::Le => truth(a <= b),
                Op::Gt => truth(a > b),
                Op::Ge => truth(a >= b),
                Op::Add => a.wrapping_add(b),
                Op::Sub => a.wrapping_sub(b),
                Op::Mul => a.wrapping_mul(b),
                // A rule dividing by zero is a broken file; form 0 rather than a panic.
                Op::Div => a.checked_div(b).unwrap_or(0),
                Op::Rem => a.checked_rem(b).unwrap_or(0),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    N,
    Number(u64),
    Symbol(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    const SYMBOLS: [&str; 18] =
        ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "?", ":", "(", ")", "+", "-", "*", "/", "%"];
    let mut tokens = Vec::new();
    let mut rest = text;
    'next: while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == 'n' {
            tokens.push(Token::N);
            rest = &rest[1..];
            continue;
        }
        if c.is_ascii_digit() {
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            tokens.push(Token::Number(rest[..end].parse().map_err(|_| "number too large")?));
            rest = &rest[end..];
            continue;
        }
        for symbol in SYMBOLS {
            if rest.starts_with(symbol) {
                tokens.push(Token::Symbol(symbol));
                rest = &rest[symbol.len()..];
                continue 'next;
            }
        }
        return Err(format!("unexpected {c:?}"));
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

/// Binary operators by precedence, loosest first, as in C.
const LEVELS: &[&[(&str, Op)]] = &[
    &[("||", Op::Or)],
    &[("&&", Op::And)],
    &[("==", Op::Eq), ("!=", Op::Ne)],
    &[("<", Op::Lt), ("<=", Op::Le), (">", Op::Gt), (">=", Op::Ge)],
    &[("+", Op::Add), ("-", Op::Sub)],
    &[("*", Op::Mul), ("/", Op::Div), ("%", Op::Rem)],
];

impl Parser {
    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.tokens.get(self.at), Some(Token::Symbol(s)) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn choice(&mut self) -> Result<Expr, String> {
        let condition = self.binary(0)?;
        if !self.eat("?") {
            return Ok(condition);
        }
        let yes = self.choice()?;
        if !self.eat(":") {
            return Err("'?' without ':'".into());
        }
        let no = self.choice()?;
        Ok(Expr::Choice(Box::new(condition), Box::new(yes), Box::new(no)))
    }

    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        'more: loop {
            for (symbol, op) in *ops {
                if self.eat(symbol) {
                    let right = self.binary(level + 1)?;
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'more;
                }
            }
            return Ok(left);
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let inner = self.choice()?;
            if !self.eat(")") {
                return Err("'(' without ')'".into());
            }
            return Ok(inner);
        }
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::N) => Ok(Expr::N),
            Some(Token::Number(v)) => Ok(Expr::Number(v)),
            Some(Token::Symbol(s)) => Err(format!("unexpected {s:?}")),
            None => Err("the expression ends too early".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(header: &str, counts: &[u64]) -> Vec<usize> {
        let rule = PluralRule::parse(header).unwrap();
        counts.iter().map(|n| rule.form(*n)).collect()
    }

    #[test]
    fn english_and_french_rules() {
        assert_eq!(forms("nplurals=2; plural=(n != 1);", &[0, 1, 2, 5]), [1, 0, 1, 1]);
        assert_eq!(forms("nplurals=2; plural=(n > 1);", &[0, 1, 2, 5]), [0, 0, 1, 1]);
        assert_eq!(PluralRule::default().form(1), 0);
        assert_eq!(PluralRule::default().form(3), 1);
    }

    #[test]
    fn arabic_six_forms() {
        let header = "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : \
                      n%100>=11 ? 4 : 5);";
        assert_eq!(forms(header, &[0, 1, 2, 3, 10, 11, 99, 100, 102, 103]), [0, 1, 2, 3, 3, 4, 4, 5, 5, 3]);
    }

    #[test]
    fn slavic_three_forms() {
        let header = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || \
                      n%100>=20) ? 1 : 2);";
        assert_eq!(forms(header, &[1, 2, 5, 11, 12, 21, 22, 25, 111]), [0, 1, 2, 2, 2, 0, 1, 2, 2]);
    }

    #[test]
    fn one_form_and_negation() {
        assert_eq!(forms("nplurals=1; plural=0;", &[0, 1, 7]), [0, 0, 0]);
        assert_eq!(forms("nplurals=2; plural=!(n == 1);", &[1, 2]), [0, 1]);
    }

    #[test]
    fn a_form_past_nplurals_is_clamped() {
        assert_eq!(forms("nplurals=2; plural=n;", &[0, 1, 7]), [0, 1, 1]);
    }

    #[test]
    fn broken_rules_say_why() {
        for (header, reason) in [
            ("plural=(n != 1);", "nplurals"),
            ("nplurals=2;", "no plural="),
            ("nplurals=2; plural=(n != 1;", "without ')'"),
            ("nplurals=2; plural=n ? 1;", "without ':'"),
            ("nplurals=2; plural=n $ 1;", "unexpected '$'"),
            ("nplurals=2; plural=n 1;", "after the expression"),
            ("nplurals=0; plural=0;", "1 to 6"),
        ] {
            let e = PluralRule::parse(header).expect_err(header);
            assert!(e.to_string().contains(reason), "{header}: {e}");
        }
    }
}
