# mpi_checks.py is the MPI program the tests launch under mpiexec; importing it would initialise MPI.
collect_ignore = ["mpi_checks.py"]
