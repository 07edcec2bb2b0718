"""Running sweeps on clusters: manifests of jobs, Slurm arrays (submit and exit, status,
collect), and the state of a sweep from its result files and the queue."""
