//! Property tests of the input validators: for thousands of random inputs (any Unicode,
//! control characters, whitespace, long runs), whatever a validator accepts has the
//! promised shape, and nothing panics.

use lkn_api::service::input::{Checks, MAX_TAGS, markdown, one_line};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ALPHABET: &[char] = &[
    'a', 'z', 'A', 'Z', '0', '9', '-', '_', ' ', '\t', '\n', '\r', '\0', '\u{7f}', 'ŵ', 'ŷ', 'é', 'ß', 'Ω', '中', '😀',
    '\u{202E}', '\u{200B}', '"', '\'', ';', '%', '\\', '<', '>',
];

fn random_text(rng: &mut StdRng, max_len: usize) -> String {
    let len = rng.random_range(0..=max_len);
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect()
}

fn tag_shape_ok(tag: &str) -> bool {
    (2..=40).contains(&tag.chars().count())
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

#[test]
fn accepted_lines_and_texts_have_the_promised_shape() {
    let mut rng = StdRng::seed_from_u64(0x1c4e);
    for _ in 0..5_000 {
        let raw = random_text(&mut rng, 260);
        if let Ok(line) = one_line("Title", &raw, 1, 200) {
            let n = line.chars().count();
            assert!((1..=200).contains(&n), "{raw:?} -> {line:?}");
            assert_eq!(line.trim(), line);
            assert!(!line.chars().any(char::is_control), "{line:?}");
        }
        if let Ok(text) = markdown("Body", &raw, false, 120) {
            assert!(text.chars().count() <= 120);
            assert!(!text.contains('\0'));
        }
    }
}

#[test]
fn accepted_tags_are_well_formed_distinct_and_few() {
    let mut rng = StdRng::seed_from_u64(0x7a65);
    for _ in 0..5_000 {
        let count = rng.random_range(0..8);
        let tags: Vec<String> = (0..count)
            .map(|_| {
                if rng.random_bool(0.5) {
                    random_text(&mut rng, 45)
                } else {
                    ["events", "Local History", " reading "][rng.random_range(0..3)].to_owned()
                }
            })
            .collect();
        let mut checks = Checks::default();
        let normalised = checks.tags(&tags);
        assert!(normalised.iter().all(|t| tag_shape_ok(t)), "{tags:?} -> {normalised:?}");
        let mut unique = normalised.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), normalised.len());
        if checks.finish().is_ok() {
            assert!(normalised.len() <= MAX_TAGS);
        }
    }
}
