"""Portfolio risk of the key-account book: PD term structure, IFRS 9 staging and expected credit
loss, the macro stress test through a fitted satellite model, the Monte Carlo credit loss
distribution with risk contributions, and concentration.

Pure domain code: DataFrames and typed params in, DataFrames, result objects and figures out.
"""
