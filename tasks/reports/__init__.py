"""What a run reports: the summary `make run` prints, the validation page, loss plots, the plots page, and the model card."""
