//! How a title is folded so that `titleContains` ignores case in every script the
//! network writes in: shared by the migration that fills `threads.title_folded` for the
//! threads already stored and by the API, which folds every title it writes and every
//! text it looks for (the API's one entry point is `service::threads::fold_title`).
//!
//! Neither database can do this itself: SQLite's `lower()` and `LIKE` fold ASCII only,
//! and PostgreSQL's `lower()` depends on the database's ctype. So the folded title is
//! stored beside the title, and both sides of a match are folded by this one function.

use unicase::UniCase;
use unicode_normalization::UnicodeNormalization;

/// Folds `text` for matching regardless of case: canonical decomposition, Unicode full
/// case folding (CaseFolding.txt: `É` → `é`, `Ŵ` → `ŵ`, `ß` → `ss`), then canonical
/// composition. Decomposing first makes a precomposed `é` and `e` + combining acute fold
/// alike, as keyboards send either. Accents are kept: folding is about case, not letters.
pub fn fold(text: &str) -> String {
    let decomposed: String = text.nfd().collect();
    UniCase::new(decomposed.as_str()).to_folded_case().nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_ignores_case_beyond_ascii() {
        assert_eq!(fold("ÉCOLE"), fold("école"));
        assert_eq!(fold("Ŵyl Lyfrau"), "ŵyl lyfrau");
        assert_eq!(fold("ŴYL"), fold("ŵyl"));
        assert_eq!(fold("ÓRÁID"), "óráid");
        assert_eq!(fold("STRASSE"), fold("Straße"));
        assert_eq!(fold("ΣΟΦΊΑ"), fold("σοφία"));
        assert_eq!(fold("Storytime"), "storytime");
    }

    #[test]
    fn composed_and_decomposed_accents_fold_alike() {
        assert_eq!(fold("E\u{301}COLE"), fold("\u{e9}cole"));
        assert_eq!(fold("w\u{302}"), "\u{175}");
    }

    #[test]
    fn folding_keeps_accents() {
        assert_ne!(fold("école"), fold("ecole"));
    }
}
