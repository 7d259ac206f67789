// What the API takes for a new password (a user's own change, a reset, an admin setting one):
// shown under every new-password field, so nobody learns the rule from a refusal.
export const NEW_PASSWORD_HINT = "At least 12 characters.";
