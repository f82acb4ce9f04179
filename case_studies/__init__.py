"""Real Sim2Real learning curves measured by pre-training / fine-tuning sweeps."""
