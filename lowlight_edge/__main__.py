from lowlight_edge.cli import main

raise SystemExit(main())
