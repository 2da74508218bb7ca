//! GraphiQL, the in-browser GraphQL IDE, for a browser that opens `GET /graphql`. It
//! loads its scripts from a CDN, so it needs internet access; the explorer at `/` does not.

use axum::response::{Html, IntoResponse, Response};

/// The GraphiQL page, pointed at `/graphql` and `/graphql/ws` on the same host.
pub fn page() -> Response {
    Html(GRAPHIQL).into_response()
}

/// GraphiQL, which loads its scripts from a CDN.
const GRAPHIQL: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LKN GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL from unpkg.com&hellip; (it needs internet access)</div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws' });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }));
</script>
</body>
</html>"#;
