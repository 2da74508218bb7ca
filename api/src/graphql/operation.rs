//! What a request would run, read from its document before execution: the edge decides
//! with it whether a request writes (a GET may not; writes have their own budget) and
//! whether a socket message is a subscription (the only thing a socket runs).

use async_graphql::parser::types::OperationType;

/// The operations of a document that a request selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The operation's name: the one asked for, or the document's own.
    pub name: Option<String>,
    /// The kind of each operation the request may run: the named one, or every one when
    /// no name is given (execution then refuses all but a single operation).
    pub kinds: Vec<OperationType>,
}

impl Selected {
    /// Whether running it may write.
    pub fn may_write(&self) -> bool {
        self.kinds.iter().any(|kind| *kind != OperationType::Query)
    }

    /// Whether it certainly runs a subscription and nothing else.
    pub fn is_subscription(&self) -> bool {
        !self.kinds.is_empty() && self.kinds.iter().all(|kind| *kind == OperationType::Subscription)
    }
}

/// The operations `query` would run under `operation_name`; `None` when the document does
/// not parse (execution refuses it with its own error).
pub fn selected(query: &str, operation_name: Option<&str>) -> Option<Selected> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let mut found = Selected { name: operation_name.map(str::to_owned), kinds: Vec::new() };
    for (name, operation) in document.operations.iter() {
        let chosen = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if chosen {
            found.name = found.name.or_else(|| name.map(|n| n.to_string()));
            found.kinds.push(operation.node.ty);
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorthand_query_reads() {
        let selected = selected("{ partners { totalCount } }", None).expect("parses");
        assert!(!selected.may_write());
        assert!(!selected.is_subscription());
        assert_eq!(selected.name, None);
    }

    #[test]
    fn a_mutation_writes_and_names_itself() {
        let selected = selected("mutation Post { postThread(input: {}) { thread { id } } }", None).expect("parses");
        assert!(selected.may_write());
        assert_eq!(selected.name.as_deref(), Some("Post"));
    }

    #[test]
    fn the_named_operation_decides() {
        let document =
            "query Read { viewer { id } } mutation Write { signOut { ok } } subscription Hear { threadPosted { id } }";
        assert!(!selected(document, Some("Read")).expect("parses").may_write());
        assert!(selected(document, Some("Write")).expect("parses").may_write());
        assert!(selected(document, Some("Hear")).expect("parses").is_subscription());
        assert!(
            !selected(document, None).expect("parses").is_subscription(),
            "ambiguous documents are not subscriptions"
        );
        assert!(selected(document, None).expect("parses").may_write(), "ambiguous documents count as writes");
    }

    #[test]
    fn a_missing_operation_selects_nothing() {
        let selected = selected("subscription Hear { threadPosted { id } }", Some("Other")).expect("parses");
        assert!(selected.kinds.is_empty());
        assert!(!selected.is_subscription());
    }

    #[test]
    fn garbage_does_not_parse() {
        assert_eq!(selected("{ unclosed", None), None);
    }
}
