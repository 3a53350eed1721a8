import { graphql } from "../../../gql";

// What the library shows of a macro; the saves select the same, so the cache stays whole.
export const MacroFields = graphql(`
  fragment MacroFields on Macro {
    id
    title
    body
    needsOrder
    updatedAt
    updatedBy {
      id
      name
    }
  }
`);

export const MacroLibrary = graphql(`
  query MacroLibrary($after: String) {
    macros(first: 50, after: $after) {
      edges {
        cursor
        node {
          ...MacroFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const PlaceholderList = graphql(`
  query PlaceholderList {
    macroPlaceholders {
      name
      token
      description
      example
      needsOrder
    }
  }
`);

export const CreateMacro = graphql(`
  mutation CreateMacro($input: CreateMacroInput!) {
    createMacro(input: $input) {
      __typename
      ... on MacroSaved {
        macro {
          ...MacroFields
        }
      }
      ...ResultError
    }
  }
`);

export const UpdateMacro = graphql(`
  mutation UpdateMacro($input: UpdateMacroInput!) {
    updateMacro(input: $input) {
      __typename
      ... on MacroSaved {
        macro {
          ...MacroFields
        }
      }
      ...ResultError
    }
  }
`);

export const DeleteMacro = graphql(`
  mutation DeleteMacro($input: DeleteMacroInput!) {
    deleteMacro(input: $input) {
      __typename
      ... on MacroDeleted {
        deletedMacroId
      }
      ...ResultError
    }
  }
`);
