"""The main job (`lowlight-edge demo`, `make demo`): every stage of the toolkit on the bundled model."""
