"""One module per mutation: its input, its result union, and its resolver, decorated with its
permission and description (`@mutation(...)`) to be the Mutation type's field (app.graphql.schema).

Most mutations act on one object named by a global id: `_objects.OnObject` runs them, and each
kind of object has one (`_cases.on_case`, `_refunds.on_refund`, ...)."""
