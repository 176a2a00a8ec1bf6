from shadow_parity_service.app import main

raise SystemExit(main())
