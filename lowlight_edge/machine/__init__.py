"""What machine produced a result: CPU, GPU, libraries, threads, Jetson power mode and clocks."""
