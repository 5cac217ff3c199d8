"""Applications (layer 5): what the trained families are for.

``detection``: AUROC, AUPRC, FPR at 95% TPR. ``outliers``: scoring arrays with a method's
outlier scores, the likelihood ratio and the typicality test. ``corruptions``: the protocols'
inputs. ``protocols``: corruption, held-out class and dataset shift over trained runs.
``sampling_report``: the variance table of base-sampling techniques.

May import every layer below (methods, run, eval); nothing imports it but experiments/.
"""
