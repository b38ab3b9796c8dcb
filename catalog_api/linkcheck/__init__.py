"""Link checks: the run that keeps every distribution link's state (``runner``) and its command (``cli``)."""
