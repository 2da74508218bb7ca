//! Registers the API's schema (`api/schema.graphql`, kept equal to the server's by an
//! end-to-end test) with cynic, so that every document in `src/api/` is checked
//! against it when the bot compiles: a schema change that breaks the bot is a build
//! error, not a failure at run time.

fn main() {
    cynic_codegen::register_schema("lkn")
        .from_sdl_file("../api/schema.graphql")
        .expect("api/schema.graphql is a valid schema")
        .as_default()
        .expect("the bot has one schema");
}
