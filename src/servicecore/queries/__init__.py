"""Read models: the frozen rows that reads return, and how they are built from the model.

One module per subject (:mod:`servicecore.queries.quotes`); the reads that load the records and
check the policy stay in :mod:`servicecore.services`, which re-exports the rows it returns.
"""
