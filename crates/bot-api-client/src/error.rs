//! Bot API errors (`error_code`, `description`, `parameters`) kept losslessly and classified.
