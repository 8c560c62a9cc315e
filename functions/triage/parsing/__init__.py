"""Reading inbound messages: MIME email, quoted history and signatures, machine-mail signals."""
