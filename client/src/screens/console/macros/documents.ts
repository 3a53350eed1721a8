import { graphql } from "../../../gql";

export const MacroLibrary = graphql(`
  query MacroLibrary($after: String) {
    macros(first: 50, after: $after) {
      edges {
        cursor
        node {
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
          id
          title
          body
          needsOrder
          updatedAt
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
          id
          title
          body
          needsOrder
          updatedAt
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
