//! Turning user text into search terms and snippets into safe HTML: pure functions.

/// Marks the start of a match inside a snippet before it is made HTML-safe.
pub(super) const MATCH_START: char = '\u{E000}';
/// Marks the end of a match.
pub(super) const MATCH_END: char = '\u{E001}';
/// The most words of a query that are searched for.
pub(super) const MAX_WORDS: usize = 32;
/// The longest word searched for.
pub(super) const MAX_WORD_CHARS: usize = 64;

/// The words of user text: letters and digits of any script, nothing else.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect::<String>().to_lowercase())
        .take(MAX_WORDS)
        .collect()
}

/// Words too common to suggest anything.
pub(super) const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "anyone", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "i", "in", "is", "it", "of", "on", "or", "our", "run", "that", "the", "this", "to", "us",
    "we", "what", "when", "who", "with", "you", "your",
];

/// A safe FTS5 MATCH expression: each word an FTS5 string, joined by `joiner`.
pub(super) fn fts5_expression(words: &[String], joiner: &str) -> String {
    words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(joiner)
}

/// Turns a backend's marked snippet into escaped HTML with `<mark>` around matches.
pub(super) fn html_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            MATCH_START => out.push_str("<mark>"),
            MATCH_END => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_of_any_script_lower_cased() {
        assert_eq!(words("Rhymetime: ŴYLIAU'r haf, 2026!"), ["rhymetime", "ŵyliau", "r", "haf", "2026"]);
        assert!(words("\" OR 1=1 -- NEAR(*)").iter().all(|w| w.chars().all(char::is_alphanumeric)));
    }

    #[test]
    fn a_query_is_cut_to_its_first_words_and_long_words_are_cut_short() {
        let many = "word ".repeat(100);
        assert_eq!(words(&many).len(), MAX_WORDS);
        let long = "a".repeat(500);
        assert_eq!(words(&long)[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn an_fts5_expression_quotes_every_word() {
        let expression = fts5_expression(&words("summer OR reading"), " OR ");
        assert_eq!(expression, "\"summer\" OR \"or\" OR \"reading\"");
    }

    #[test]
    fn snippets_escape_html_and_mark_matches() {
        let raw = format!("<b>{MATCH_START}storytime{MATCH_END}</b> & \"songs\"\nagain");
        assert_eq!(html_snippet(&raw), "&lt;b&gt;<mark>storytime</mark>&lt;/b&gt; &amp; &quot;songs&quot; again");
    }
}
