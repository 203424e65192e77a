"""The CLI run in-process and as real processes, real Dovecot and SMTP servers, crashes and supervised runs, the sample corpus."""
